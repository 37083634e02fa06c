"""Queues API: list and read queues with their members; create one (`queues.manage`)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from andon.core.api import IdField, PermissionByMethod, error_responses, parse_id
from andon.core.errors import NotFound
from andon.queues import selectors, services
from andon.queues.models import DispatchRule, Queue, QueueMembership


class QueueMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.name", read_only=True)
    is_available = serializers.BooleanField(source="user.is_available", read_only=True)
    joined_at = serializers.DateTimeField(read_only=True)


class QueueSerializer(serializers.ModelSerializer):
    dispatch_rule_display = serializers.CharField(
        source="get_dispatch_rule_display", read_only=True
    )
    member_count = serializers.IntegerField(read_only=True)
    members = QueueMemberSerializer(source="memberships.all", many=True, read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id",
            "name",
            "description",
            "dispatch_rule",
            "dispatch_rule_display",
            "is_enabled",
            "member_count",
            "members",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class QueueCreateSerializer(serializers.Serializer):
    """Shape only; names, rules and members are checked by `queues.services.create_queue`."""

    name = serializers.CharField(trim_whitespace=False, help_text="at most 25 characters, unique")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    dispatch_rule = serializers.ChoiceField(
        choices=DispatchRule.choices, required=False, default=DispatchRule.ROUND_ROBIN
    )
    members = serializers.ListField(
        child=IdField(), required=False, default=list, help_text="user ids, in rotation order"
    )


def queues_with_members():
    memberships = QueueMembership.objects.select_related("user").order_by("id")
    return selectors.queue_list().prefetch_related(Prefetch("memberships", queryset=memberships))


class QueueListView(generics.ListAPIView):
    """Every queue with its member count and members (enabled queues first)."""

    serializer_class = QueueSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "queues.manage"}
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return queues_with_members()

    @extend_schema(
        operation_id="queues_list",
        responses={200: QueueSerializer(many=True), **error_responses(401)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="queues_create",
        request=QueueCreateSerializer,
        responses={201: QueueSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = QueueCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        queue = services.create_queue(
            actor=request.user,
            name=data["name"],
            description=data["description"],
            dispatch_rule=data["dispatch_rule"],
            members=data["members"],
        )
        queue = queues_with_members().get(pk=queue.pk)
        return Response(QueueSerializer(queue).data, status=status.HTTP_201_CREATED)


class QueueDetailView(generics.RetrieveAPIView):
    serializer_class = QueueSerializer
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="queues_retrieve",
        responses={200: QueueSerializer, **error_responses(401, 404)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return queues_with_members()

    def get_object(self):
        pk = parse_id(self.kwargs["queue_id"])
        queue = self.get_queryset().filter(pk=pk).first() if pk else None
        if queue is None:
            raise NotFound(_("队列不存在"))
        return queue
