"""The rating link the requester's notifications carry (registered into the notifications
outbox from CsatConfig.ready()): in e-mail a signed link that works without signing in, in WeCom
the ticket page, which the WeCom sender turns into a signed-in link."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from andon.csat.services import is_ratable, rating_token

# The events whose notice to the requester asks for a rating.
ASKING_KINDS = frozenset({"resolved", "confirm_reminder"})


def rating_link(*, notification, channel: str) -> tuple[str, str] | None:
    event, ticket = notification.event, notification.ticket
    if event is None or ticket is None or notification.recipient_id != ticket.requester_id:
        return None
    asks = event.kind in ASKING_KINDS or (
        event.kind == "confirmed" and (event.after or {}).get("auto")
    )
    if not asks or not is_ratable(ticket):
        return None
    label = _("确认并评价本次服务")
    if channel == "email":
        path = reverse("csat:link", kwargs={"token": rating_token(ticket)})
        return label, f"{settings.SITE_URL}{path}"
    if channel == "wecom":
        path = reverse("tickets:detail", kwargs={"pk": ticket.pk})
        return label, f"{settings.SITE_URL}{path}?rate=wecom#csat"
    return None
