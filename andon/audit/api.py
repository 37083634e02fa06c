"""Audit API: the configuration change log, newest first (needs `roles.manage`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from andon.audit import selectors
from andon.audit.labels import action_label, object_type_label
from andon.audit.models import AuditEntry
from andon.core.api import IdField, PermissionByMethod, UserRefSerializer, error_responses


class AuditEntrySerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True, read_only=True)
    action_display = serializers.SerializerMethodField()
    object_type_display = serializers.SerializerMethodField()
    changes = serializers.DictField(
        child=serializers.ListField(allow_null=True),
        help_text="{field: [before, after]}",
        read_only=True,
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "action_display",
            "object_type",
            "object_type_display",
            "object_id",
            "object_repr",
            "changes",
        ]
        read_only_fields = fields

    def get_action_display(self, entry) -> str:
        return action_label(entry.action)

    def get_object_type_display(self, entry) -> str:
        return object_type_label(entry.object_type)


class AuditFilterSerializer(serializers.Serializer):
    actor = IdField(required=False, help_text="user id")
    object_type = serializers.CharField(
        required=False, max_length=50, help_text="e.g. accounts.role, queues.queue"
    )
    object_id = serializers.CharField(required=False, max_length=50)
    action = serializers.CharField(required=False, max_length=30, help_text="e.g. create, update")
    since = serializers.DateField(required=False, help_text="first day, inclusive")
    until = serializers.DateField(required=False, help_text="last day, inclusive")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": _("结束日期不能早于开始日期")})
        return attrs


class AuditListView(generics.ListAPIView):
    serializer_class = AuditEntrySerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": "roles.manage"}
    filter_backends: list = []

    @extend_schema(
        operation_id="audit_list",
        parameters=[AuditFilterSerializer],
        responses={200: AuditEntrySerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = AuditFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.audit_entries(
            actor_id=data.get("actor"),
            object_type=data.get("object_type", ""),
            object_id=data.get("object_id", ""),
            action=data.get("action", ""),
            since=data.get("since"),
            until=data.get("until"),
        )
