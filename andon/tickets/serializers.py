"""Ticket API bodies. Output serializers read loaded objects; input serializers only check the
shape of a request (types, required keys). Every rule about content lives in the services."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from andon.catalog.api import CatalogParentSerializer
from andon.core.api import IdField, QueueRefSerializer, UserRefSerializer
from andon.core.markdown import render_markdown
from andon.fields.serializer_fields import CustomFieldsField
from andon.tickets import bodies, workflow
from andon.tickets.models import (
    Attachment,
    Channel,
    Comment,
    Priority,
    Ticket,
    TicketEvent,
)

# --- what the caller may do now ---------------------------------------------------------------

# Names match the action endpoints (`edit` is PATCH, `comment` is POST …/comments/).
TICKET_ACTIONS = workflow.names(workflow.API)


def available_actions(user, ticket: Ticket) -> list[str]:
    """The actions `user` may take on `ticket` now: the workflow table's rule, as the services
    enforce it."""
    return workflow.available_actions(user, ticket, workflow.API)


# --- output -----------------------------------------------------------------------------------


class TicketCatalogEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    parent = CatalogParentSerializer(read_only=True, allow_null=True)


class TicketSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True, help_text="e.g. AD-12")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    catalog_entry = TicketCatalogEntrySerializer(read_only=True)
    queue = QueueRefSerializer(read_only=True, allow_null=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    requester = UserRefSerializer(read_only=True)
    created_by = UserRefSerializer(read_only=True)
    custom_fields = serializers.DictField(read_only=True)
    tags = serializers.SerializerMethodField(help_text="tag names, by name")

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "title",
            "description",
            "priority",
            "priority_display",
            "status",
            "status_display",
            "catalog_entry",
            "queue",
            "assignee",
            "requester",
            "created_by",
            "channel",
            "channel_display",
            "custom_fields",
            "tags",
            "urge_count",
            "reopen_count",
            "version",
            "resolution",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_tags(self, ticket) -> list[str]:
        return bodies.tag_names(ticket)


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    comment = serializers.IntegerField(source="comment_id", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField(help_text="download address (same authentication)")

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "comment", "created_at", "url"]
        read_only_fields = fields

    def get_url(self, attachment) -> str:
        return reverse(
            "api:ticket-attachment",
            kwargs={"ticket_id": attachment.ticket_id, "attachment_id": attachment.pk},
        )


class TicketDetailSerializer(TicketSerializer):
    actions = serializers.SerializerMethodField(
        help_text="what the caller may do now: " + ", ".join(TICKET_ACTIONS)
    )
    attachments = AttachmentSerializer(many=True, read_only=True, source="attachments.all")

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "attachments", "actions"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=TICKET_ACTIONS))
    )
    def get_actions(self, ticket) -> list[str]:
        return available_actions(self.context["request"].user, ticket)


class CommentSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True)
    body_html = serializers.SerializerMethodField(help_text="the Markdown body, sanitised HTML")
    attachments = AttachmentSerializer(many=True, read_only=True, source="attachments.all")

    class Meta:
        model = Comment
        fields = ["id", "author", "body", "body_html", "is_internal", "created_at", "attachments"]
        read_only_fields = fields

    def get_body_html(self, comment) -> str:
        return str(render_markdown(comment.body))


class TicketEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    before = serializers.DictField(read_only=True)
    after = serializers.DictField(read_only=True)

    class Meta:
        model = TicketEvent
        fields = ["id", "kind", "kind_display", "actor", "created_at", "before", "after", "note"]
        read_only_fields = fields


# --- input ------------------------------------------------------------------------------------


class TicketCreateSerializer(serializers.Serializer):
    """The shape of a create request only: `create_ticket` judges every value, once, for every
    door (so the API and the pages refuse the same things with the same words)."""

    title = serializers.CharField(allow_blank=True, help_text="at most 200 characters")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    priority = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        help_text="one of " + ", ".join(Priority.values) + "; default L3",
    )
    catalog_entry = IdField(help_text="a level-2 catalog entry id")
    custom_fields = CustomFieldsField(required=False, default=dict)
    requester = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="file on behalf of this user (needs tickets.handle); default: the caller",
    )
    channel = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="one of " + ", ".join(Channel.values) + "; default api",
    )
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="multipart only"
    )


class TicketUpdateSerializer(serializers.Serializer):
    """PATCH: any of these; anything else is refused rather than silently ignored."""

    title = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    catalog_entry = IdField(required=False)
    custom_fields = CustomFieldsField(required=False)
    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="the version you edited"
    )

    def validate(self, attrs):
        if not isinstance(self.initial_data, dict):
            return attrs
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            message = _("不能通过修改接口更改；状态、处理人等请使用对应的操作接口")
            raise serializers.ValidationError({key: [message] for key in unknown})
        if not set(attrs) - {"version"}:
            fields = ", ".join(f for f in self.fields if f != "version")
            raise serializers.ValidationError(_("请提供要修改的字段：%s") % fields)
        return attrs


def _input_field(spec: workflow.Input) -> serializers.Field:
    """The request field for one of an action's inputs; its content is the service's to judge."""
    label = str(spec.label)
    if spec.kind == "id":
        return IdField(required=False, allow_null=True, default=None, help_text=label)
    if spec.required:
        return serializers.CharField(allow_blank=True, help_text=label)
    return serializers.CharField(required=False, allow_blank=True, default="", help_text=label)


def action_serializer(action: workflow.Action) -> type[serializers.Serializer] | None:
    """The request body of an action endpoint, made from the workflow table's inputs."""
    if not action.inputs:
        return None
    name = "".join(part.title() for part in action.name.split("-")) + "Serializer"
    fields = {spec.name: _input_field(spec) for spec in action.inputs}
    return type(name, (serializers.Serializer,), {**fields, "__module__": __name__})


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(required=False, allow_blank=True, default="")
    is_internal = serializers.BooleanField(required=False, default=False)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="multipart only"
    )
