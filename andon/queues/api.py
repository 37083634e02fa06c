"""Queues API: list and read queues with their members; create one (`queues.manage`)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from andon.core.api import (
    IdField,
    PermissionByMethod,
    editable_body,
    error_responses,
    parse_id,
)
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


class QueueUpdateSerializer(serializers.Serializer):
    """Shape only; every field is optional and checked by `queues.services.update_queue`."""

    name = serializers.CharField(
        required=False, trim_whitespace=False, help_text="at most 25 characters, unique"
    )
    description = serializers.CharField(required=False, allow_blank=True)
    dispatch_rule = serializers.ChoiceField(choices=DispatchRule.choices, required=False)
    members = serializers.ListField(
        child=IdField(),
        required=False,
        help_text="the complete new member list (user ids); people who stay keep their place "
        "in the rotation, newcomers join at the end",
    )


class QueueDetailView(generics.RetrieveAPIView):
    serializer_class = QueueSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"PATCH": "queues.manage", "PUT": "queues.manage"}

    @extend_schema(
        operation_id="queues_update",
        request=QueueUpdateSerializer,
        responses={200: QueueSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, *args, **kwargs):
        queue = self.get_object()
        body = editable_body(
            request.data,
            write=QueueUpdateSerializer,
            read=QueueSerializer,
            current=QueueSerializer(queues_with_members().get(pk=queue.pk)).data,
        )
        serializer = QueueUpdateSerializer(data=body, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_queue(actor=request.user, queue_id=queue.pk, **serializer.validated_data)
        return Response(QueueSerializer(queues_with_members().get(pk=queue.pk)).data)

    @extend_schema(
        operation_id="queues_replace",
        request=QueueUpdateSerializer,
        responses={200: QueueSerializer, **error_responses(400, 401, 403, 404)},
        description="The GET representation with your edits: read-only fields are ignored, "
        "unknown ones refused.",
    )
    def put(self, request, *args, **kwargs):
        return self.patch(request, *args, **kwargs)

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


# --- disable / enable -----------------------------------------------------------------------


class ImpactEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    parent = serializers.CharField(source="parent.name", read_only=True)
    path = serializers.CharField(source="__str__", read_only=True, help_text="「一级 / 二级」")


class DisableImpactSerializer(serializers.Serializer):
    queue = serializers.IntegerField(read_only=True)
    affected_entries = ImpactEntrySerializer(many=True, read_only=True)


class DisableSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="must be true when catalog entries dispatch to this queue",
    )


class DisableConflictSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="confirmation_required")
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    affected_entries = ImpactEntrySerializer(many=True)


def _queue_or_404(queue_id) -> Queue:
    pk = parse_id(queue_id)
    queue = Queue.objects.filter(pk=pk).first() if pk else None
    if queue is None:
        raise NotFound(_("队列不存在"))
    return queue


class QueueDisableImpactView(generics.GenericAPIView):
    """The live level-2 catalog entries that would have no usable queue if this queue were
    disabled (ask the admin to confirm before disabling when the list is not empty)."""

    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "queues.manage"}
    serializer_class = DisableImpactSerializer

    @extend_schema(
        operation_id="queues_disable_impact",
        responses={200: DisableImpactSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        entries = selectors.queue_disable_impact(queue)
        return Response(
            {
                "queue": queue.pk,
                "affected_entries": ImpactEntrySerializer(entries, many=True).data,
            }
        )


class QueueDisableView(generics.GenericAPIView):
    """Disable the queue. When catalog entries dispatch to it, the first call answers 409 with
    those entries; repeat with {"confirm": true} to go ahead."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "queues.manage"}
    serializer_class = DisableSerializer

    @extend_schema(
        operation_id="queues_disable",
        request=DisableSerializer,
        responses={
            200: QueueSerializer,
            409: DisableConflictSerializer,
            **error_responses(400, 401, 403, 404),
        },
    )
    def post(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        serializer = DisableSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.disable_queue(
                actor=request.user,
                queue_id=queue.pk,
                confirm=serializer.validated_data["confirm"],
            )
        except services.DisableNeedsConfirmation as exc:
            return Response(
                {
                    "code": exc.code,
                    "detail": exc.detail,
                    "errors": exc.errors,
                    "affected_entries": ImpactEntrySerializer(exc.entries, many=True).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(QueueSerializer(queues_with_members().get(pk=queue.pk)).data)


class QueueEnableView(generics.GenericAPIView):
    """Enable the queue again; catalog entries bound to it take new tickets again."""

    permission_classes = [PermissionByMethod]
    required_perms = {"POST": "queues.manage"}
    serializer_class = QueueSerializer

    @extend_schema(
        operation_id="queues_enable",
        request=None,
        responses={200: QueueSerializer, **error_responses(401, 403, 404)},
    )
    def post(self, request, queue_id):
        queue = _queue_or_404(queue_id)
        services.enable_queue(actor=request.user, queue_id=queue.pk)
        return Response(QueueSerializer(queues_with_members().get(pk=queue.pk)).data)
