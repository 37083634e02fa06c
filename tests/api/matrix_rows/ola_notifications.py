"""Permission-matrix rows for the OLA and notifications endpoints."""

from django.utils import timezone

from andon.notifications.models import Channel, Notification, OutboxMessage, Webhook
from andon.ola.models import BusinessCalendar, CalendarException, OlaPolicy
from tests.api.matrix import Row, signed_in, ticket_access

CAL = "/api/v1/calendars/{calendar}/"
Q = "/api/v1/queues/{queue}/"
HOOK = "/api/v1/webhooks/{webhook}/"
ADMIN_ONLY = {"admin": 200}


def refs(world, _ticket) -> dict:
    calendar = BusinessCalendar.objects.create(
        name="矩阵日历",
        weekly_windows={"mon": [["09:00", "18:00"]]},
        follows_china_holidays=False,
    )
    CalendarException.objects.create(calendar=calendar, date="2030-01-02", kind="holiday")
    OlaPolicy.objects.get_or_create(
        queue=world.queue, defaults={"calendar": BusinessCalendar.objects.order_by("id").first()}
    )
    hook = Webhook.objects.create(name="矩阵", url="http://127.0.0.1:9/hook", secret="s")
    now = timezone.now()
    notification = Notification.objects.create(
        recipient=world.handler, kind="urged", title="矩阵通知", created_at=now
    )
    message = OutboxMessage.objects.create(
        key=f"matrix:{notification.pk}",
        channel=Channel.WEBHOOK,
        webhook=hook,
        subject="created",
        state=OutboxMessage.State.DEAD,
        attempts=8,
        next_attempt_at=now,
        created_at=now,
        last_error="HTTP 500",
    )
    return {
        "calendar": calendar.pk,
        "webhook": hook.pk,
        "notification": notification.pk,
        "message": message.pk,
    }


ROWS = [
    # --- calendars (queues.manage)
    Row("calendars: list", "get", "/api/v1/calendars/", signed_in(403, **ADMIN_ONLY)),
    Row(
        "calendars: create",
        "post",
        "/api/v1/calendars/",
        signed_in(403, admin=201),
        body={"name": "新日历", "weekly_windows": {"mon": [["09:00", "18:00"]]}},
    ),
    Row("calendars: detail", "get", CAL, signed_in(403, **ADMIN_ONLY)),
    Row("calendars: edit", "patch", CAL, signed_in(403, **ADMIN_ONLY), body={"description": "x"}),
    Row("calendars: delete", "delete", CAL, signed_in(403, admin=204)),
    Row(
        "calendars: set exception",
        "post",
        CAL + "exceptions/",
        signed_in(403, **ADMIN_ONLY),
        body={"date": "2030-10-08", "kind": "workday"},
    ),
    Row(
        "calendars: remove exception",
        "delete",
        CAL + "exceptions/",
        signed_in(403, **ADMIN_ONLY),
        body={"date": "2030-01-02"},
    ),
    # --- queue OLA policy
    Row("ola policy: read", "get", Q + "ola-policy/", signed_in(200)),
    Row(
        "ola policy: replace",
        "put",
        Q + "ola-policy/",
        signed_in(403, **ADMIN_ONLY),
        body={"warn_at_percent": 75},
    ),
    Row("ola policy: apply", "post", Q + "ola-policy/apply/", signed_in(403, **ADMIN_ONLY)),
    Row(
        "ola recommendation: read",
        "get",
        Q + "ola-recommendation/",
        signed_in(403, **ADMIN_ONLY),
    ),
    Row(
        "ola recommendation: adopt (too few samples)",
        "post",
        Q + "ola-recommendation/adopt/",
        signed_in(403, admin=400),
    ),
    # --- a ticket's timers
    Row(
        "ticket ola",
        "get",
        "/api/v1/tickets/{ticket}/ola/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    # --- my notifications
    Row("notifications: list", "get", "/api/v1/notifications/", signed_in(200)),
    Row(
        "notifications: read one (the handler's)",
        "post",
        "/api/v1/notifications/{notification}/read/",
        signed_in(404, handler=200),
    ),
    Row("notifications: read all", "post", "/api/v1/notifications/read-all/", signed_in(200)),
    Row("notifications: preferences", "get", "/api/v1/notifications/preferences/", signed_in(200)),
    Row(
        "notifications: set preferences",
        "put",
        "/api/v1/notifications/preferences/",
        signed_in(200),
        body={"email": False},
    ),
    # --- webhooks and the outbox (integrations.manage)
    Row("webhooks: list", "get", "/api/v1/webhooks/", signed_in(403, **ADMIN_ONLY)),
    Row(
        "webhooks: create",
        "post",
        "/api/v1/webhooks/",
        signed_in(403, admin=201),
        body={"name": "运维平台", "url": "https://ops.example/hook"},
    ),
    Row("webhooks: detail", "get", HOOK, signed_in(403, **ADMIN_ONLY)),
    Row("webhooks: edit", "patch", HOOK, signed_in(403, **ADMIN_ONLY), body={"is_active": False}),
    Row("webhooks: delete", "delete", HOOK, signed_in(403, admin=204)),
    Row("webhooks: deliveries", "get", HOOK + "deliveries/", signed_in(403, **ADMIN_ONLY)),
    Row("outbox: list", "get", "/api/v1/outbox/", signed_in(403, **ADMIN_ONLY)),
    Row(
        "outbox: retry",
        "post",
        "/api/v1/outbox/{message}/retry/",
        signed_in(403, **ADMIN_ONLY),
    ),
]
