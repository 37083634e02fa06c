"""Notifications API: my in-app notifications (list, mark read), my channel preferences, and for
admins (`integrations.manage`) webhooks with their delivery logs and the outbox."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from andon.core.api import PermissionByMethod, error_responses, parse_id
from andon.core.errors import NotFound, ValidationFailed
from andon.core.pagination import TicketCursorPagination
from andon.notifications import channels, selectors, services
from andon.notifications.models import Channel, OutboxMessage, Webhook


class NewestFirst(TicketCursorPagination):
    """Keyset pages, newest first; a tampered cursor is bad input (400)."""

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise exceptions.ValidationError(
                {self.cursor_query_param: [_("无效的分页游标")]}
            ) from None


# --- my notifications ------------------------------------------------------------------------


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    is_read = serializers.SerializerMethodField()

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class NotificationListView(generics.ListAPIView):
    """My notifications, newest first; `?unread=1` for unread only. The response header
    `X-Unread-Count` carries the unread total."""

    serializer_class = NotificationSerializer
    permission_classes = [PermissionByMethod]
    pagination_class = NewestFirst
    filter_backends: list = []

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "")
        if unread not in ("", "0", "1", "true", "false"):
            raise ValidationFailed(_("unread 应为 1 或 0"), errors={"unread": [_("应为 1 或 0")]})
        return selectors.my_notifications(self.request.user, unread_only=unread in ("1", "true"))

    @extend_schema(
        operation_id="notifications_list",
        parameters=[OpenApiParameter("unread", str, description="1: unread only")],
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["X-Unread-Count"] = str(selectors.unread_count(request.user))
        return response


ReadResult = inline_serializer("NotificationsRead", {"updated": serializers.IntegerField()})


class NotificationReadView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404)},
    )
    def post(self, request, notification_id):
        pk = parse_id(notification_id)
        notification = (
            selectors.my_notifications(request.user).filter(pk=pk).first() if pk else None
        )
        if notification is None:
            raise NotFound(_("通知不存在"))
        services.mark_read(user=request.user, notification_ids=[notification.pk])
        notification.refresh_from_db()
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses={200: ReadResult, **error_responses(401)},
    )
    def post(self, request):
        return Response({"updated": services.mark_read(user=request.user)})


class PreferencesSerializer(serializers.Serializer):
    in_app = serializers.BooleanField(help_text="always true")
    email = serializers.BooleanField()
    wecom = serializers.BooleanField()
    email_address = serializers.CharField(help_text="where e-mail goes (empty: none)")
    wecom_available = serializers.BooleanField(
        help_text="WeCom is configured and the user has a WeCom account"
    )


def preferences_data(user) -> dict:
    return {
        **services.preferences_of(user),
        "email_address": user.email or "",
        "wecom_available": bool(user.wecom_userid) and channels.available(Channel.WECOM),
    }


class PreferencesView(APIView):
    """My channels: in-app is always on; e-mail and WeCom can be switched off."""

    permission_classes = [PermissionByMethod]

    @extend_schema(
        operation_id="notifications_preferences_retrieve",
        responses={200: PreferencesSerializer, **error_responses(401)},
    )
    def get(self, request):
        return Response(PreferencesSerializer(preferences_data(request.user)).data)

    @extend_schema(
        operation_id="notifications_preferences_update",
        request=inline_serializer(
            "PreferencesUpdate",
            {
                "email": serializers.BooleanField(required=False),
                "wecom": serializers.BooleanField(required=False),
            },
        ),
        responses={200: PreferencesSerializer, **error_responses(400, 401)},
    )
    def put(self, request):
        services.save_preferences(user=request.user, data=request.data)
        return Response(PreferencesSerializer(preferences_data(request.user)).data)


# --- webhooks (admins) -------------------------------------------------------------------------

MANAGE = "integrations.manage"
ALL_MANAGE = dict.fromkeys(("GET", "POST", "PUT", "PATCH", "DELETE"), MANAGE)


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField(), help_text="empty: every kind")
    is_active = serializers.BooleanField()
    secret_hint = serializers.SerializerMethodField(help_text="last 4 characters of the secret")
    created_at = serializers.DateTimeField()

    def get_secret_hint(self, obj) -> str:
        return f"…{obj.secret[-4:]}" if obj.secret else ""


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="the signing secret, shown only once")


class WebhookWriteSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    url = serializers.CharField(required=False)
    events = serializers.ListField(child=serializers.CharField(), required=False)
    is_active = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(
        required=False, help_text="PATCH only: issue a new secret (returned once)"
    )


def _webhook_or_404(webhook_id) -> Webhook:
    pk = parse_id(webhook_id)
    hook = Webhook.objects.filter(pk=pk).first() if pk else None
    if hook is None:
        raise NotFound(_("Webhook 不存在"))
    return hook


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationFailed(_("请求体应为 JSON 对象"))
    return dict(request.data)


class WebhookListView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="webhooks_list",
        responses={200: WebhookSerializer(many=True), **error_responses(401, 403)},
    )
    def get(self, request):
        return Response(WebhookSerializer(selectors.webhooks(), many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        request=WebhookWriteSerializer,
        responses={201: WebhookCreatedSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        hook = services.create_webhook(actor=request.user, data=_body(request))
        return Response(WebhookCreatedSerializer(hook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="webhooks_retrieve",
        responses={200: WebhookSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, webhook_id):
        return Response(WebhookSerializer(_webhook_or_404(webhook_id)).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        request=WebhookWriteSerializer,
        responses={200: WebhookSerializer, **error_responses(400, 401, 403, 404)},
    )
    def patch(self, request, webhook_id):
        hook = _webhook_or_404(webhook_id)
        data = _body(request)
        rotate = data.pop("rotate_secret", False)
        if not isinstance(rotate, bool):
            raise ValidationFailed(_("应为是或否"), errors={"rotate_secret": [_("应为是或否")]})
        hook = services.update_webhook(
            actor=request.user, webhook_id=hook.pk, data=data, rotate_secret=rotate
        )
        serializer = WebhookCreatedSerializer if rotate else WebhookSerializer
        return Response(serializer(hook).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        responses={204: None, **error_responses(401, 403, 404)},
    )
    def delete(self, request, webhook_id):
        services.delete_webhook(actor=request.user, webhook_id=_webhook_or_404(webhook_id).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttemptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    duration_ms = serializers.IntegerField()


class OutboxMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    channel = serializers.CharField(help_text="email, wecom or webhook")
    state = serializers.CharField(help_text="pending, sent or dead")
    recipient = serializers.IntegerField(source="recipient_id", allow_null=True)
    webhook = serializers.IntegerField(source="webhook_id", allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    subject = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    attempt_log = AttemptSerializer(source="attempt_log.all", many=True)


class WebhookDeliveriesView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = ALL_MANAGE

    @extend_schema(
        operation_id="webhooks_deliveries",
        responses={200: OutboxMessageSerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, webhook_id):
        hook = _webhook_or_404(webhook_id)
        return Response(OutboxMessageSerializer(selectors.webhook_deliveries(hook), many=True).data)


# --- the outbox (admins) -----------------------------------------------------------------------


class OutboxListView(generics.ListAPIView):
    """Every outbox message, newest first, with its attempts; filter by `state`, `channel`."""

    serializer_class = OutboxMessageSerializer
    permission_classes = [PermissionByMethod]
    required_perms = {"GET": MANAGE}
    pagination_class = NewestFirst
    filter_backends: list = []

    def get_queryset(self):
        state = self.request.query_params.get("state", "")
        channel = self.request.query_params.get("channel", "")
        errors = {}
        if state and state not in OutboxMessage.State.values:
            errors["state"] = [_("应为 %s 之一") % ", ".join(OutboxMessage.State.values)]
        if channel and channel not in Channel.values:
            errors["channel"] = [_("应为 %s 之一") % ", ".join(Channel.values)]
        if errors:
            raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
        return selectors.with_attempts(selectors.outbox_messages(state=state, channel=channel))

    @extend_schema(
        operation_id="outbox_list",
        parameters=[
            OpenApiParameter("state", str, description="pending, sent or dead"),
            OpenApiParameter("channel", str, description="email, wecom or webhook"),
        ],
        responses={200: OutboxMessageSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class OutboxRetryView(APIView):
    permission_classes = [PermissionByMethod]
    required_perms = {"POST": MANAGE}

    @extend_schema(
        operation_id="outbox_retry",
        request=None,
        responses={200: OutboxMessageSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, message_id):
        pk = parse_id(message_id)
        if pk is None:
            raise NotFound(_("消息不存在"))
        message = services.retry_message(actor=request.user, message_id=pk)
        message = selectors.with_attempts(OutboxMessage.objects.filter(pk=message.pk)).get()
        return Response(OutboxMessageSerializer(message).data)
