"""Rating a ticket. One door (`rate_ticket`) for the ticket page, the portal, the e-mail link,
the WeCom link and the API; it records the `rated` event on the ticket.

Rules, decided once:
- only the requester rates, only a resolved ticket (待确认, 已完成, or 已关闭 after it was done);
- rating a ticket still waiting for confirmation confirms it too (the rating is the answer the
  confirmation asked for), in the same transaction;
- one rating per ticket, changeable for `CSAT_CHANGE_DAYS` days after it was first given."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.csat.models import Rating, RatingChannel
from andon.tickets import events, selectors
from andon.tickets import services as ticket_services
from andon.tickets.models import EventKind, Status, Ticket

COMMENT_MAX = 1000
TOKEN_SALT = "andon.csat.rate"


def change_window() -> timedelta:
    return timedelta(days=getattr(settings, "CSAT_CHANGE_DAYS", 7))


def link_max_age() -> int:
    return int(timedelta(days=getattr(settings, "CSAT_LINK_DAYS", 30)).total_seconds())


def is_ratable(ticket: Ticket) -> bool:
    if ticket.status in (Status.TO_CONFIRM, Status.DONE):
        return True
    return ticket.status == Status.CLOSED and ticket.resolved_at is not None


def clean_score(value) -> int:
    message = _("评分应为 1 到 5 的整数")
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationFailed(message, errors={"score": [message]})
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationFailed(message, errors={"score": [message]}) from None
    if not 1 <= score <= 5:
        raise ValidationFailed(message, errors={"score": [message]})
    return score


def clean_comment(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(_("评价格式不正确"), errors={"comment": [_("应为文本")]})
    value = value.strip()
    if len(value) > COMMENT_MAX:
        message = _("评价不能超过 %s 个字符") % COMMENT_MAX
        raise ValidationFailed(message, errors={"comment": [message]})
    return value


@transaction.atomic
def rate_ticket(*, ticket_id, actor, score, comment: str = "", channel: str) -> Rating:
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("账号未登录或已停用"))
    ticket = selectors.get_visible_ticket(actor, ticket_id, for_update=True)
    if actor.pk != ticket.requester_id:
        raise PermissionDenied(_("只有提单人可以评价"))
    score = clean_score(score)
    comment = clean_comment(comment)
    if channel not in RatingChannel.values:
        raise ValidationFailed(_("评价渠道不正确"), errors={"channel": [_("不支持的渠道")]})
    if not is_ratable(ticket):
        raise Conflict(
            _("工单当前状态为「%s」，不能评价") % ticket.get_status_display(),
            code="invalid_transition",
        )
    now = timezone.now()
    existing = Rating.objects.select_for_update().filter(ticket=ticket).first()
    if existing is not None and now - existing.created_at > change_window():
        raise Conflict(_("评价提交 %s 天后不能再修改") % change_window().days, code="rating_final")
    if ticket.status == Status.TO_CONFIRM:
        ticket = ticket_services.confirm_ticket(ticket_id=ticket.pk, actor=actor)
    before = {"score": existing.score} if existing else {}
    if existing is None:
        rating = Rating.objects.create(
            ticket=ticket,
            rater=actor,
            score=score,
            comment=comment,
            channel=channel,
            queue_id=ticket.queue_id,
            handler_id=ticket.assignee_id,
            catalog_entry_id=ticket.catalog_entry_id,
            created_at=now,
            updated_at=now,
        )
    else:
        rating = existing
        rating.score, rating.comment, rating.channel, rating.updated_at = (
            score,
            comment,
            channel,
            now,
        )
        rating.save(update_fields=["score", "comment", "channel", "updated_at"])
    events.record_event(
        ticket=ticket,
        kind=EventKind.RATED,
        actor=actor,
        before=before,
        after={"score": score, "channel": channel, "changed": existing is not None},
        note=comment,
        at=now,
    )
    return rating


# --- the signed link in e-mails -------------------------------------------------------------


def rating_token(ticket: Ticket) -> str:
    """A link that rates `ticket` as its requester without signing in; it names the ticket and
    the requester, so it stops working when the ticket changes hands or after its max age."""
    return signing.dumps({"t": ticket.pk, "u": ticket.requester_id}, salt=TOKEN_SALT)


def read_token(token: str):
    """(ticket, requester) a token names, or ValidationFailed when it is bad or expired."""
    from django.contrib.auth import get_user_model

    try:
        data = signing.loads(token or "", salt=TOKEN_SALT, max_age=link_max_age())
    except signing.SignatureExpired:
        raise ValidationFailed(_("评价链接已过期"), code="link_expired") from None
    except signing.BadSignature:
        raise ValidationFailed(_("评价链接无效"), code="bad_link") from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), int):
        raise ValidationFailed(_("评价链接无效"), code="bad_link")
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    ticket = Ticket.objects.filter(pk=data["t"], requester_id=data.get("u")).first()
    if user is None or ticket is None:
        raise ValidationFailed(_("评价链接无效"), code="bad_link")
    return ticket, user


def rate_by_token(*, token: str, score, comment: str = "") -> Rating:
    ticket, user = read_token(token)
    return rate_ticket(
        ticket_id=ticket.pk, actor=user, score=score, comment=comment, channel=RatingChannel.EMAIL
    )
