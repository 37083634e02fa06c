"""Writes for the requester portal: one-time sign-in links for external contacts, the contact's
portal user, and the portal origin of a ticket (filing itself is `create_ticket` with
`origin={"kind": "portal"}`). Ticket actions are the desk's services (`andon.tickets.services`),
called with the requester as the actor."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core.errors import NotFound, PermissionDenied, RateLimited, ValidationFailed
from andon.customers.models import Contact, TicketOrigin
from andon.portal.models import MagicLink, PortalAccount
from andon.portal.selectors import is_portal_contact
from andon.tickets.models import Ticket

User = get_user_model()
log = logging.getLogger(__name__)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _safe_next(path: str) -> str:
    path = (path or "").strip()
    return path if path.startswith("/portal/") and "//" not in path and len(path) <= 200 else ""


def request_magic_link(*, email: str, next_path: str = "") -> bool:
    """E-mail a sign-in link when the address belongs to a contact. Returns whether one was sent;
    callers must show the same message either way, so the form cannot probe addresses."""
    email = (email or "").strip().lower()
    if not email or len(email) > 254 or "@" not in email:
        raise ValidationFailed(_("请输入有效的邮箱地址"), errors={"email": [_("邮箱格式不正确")]})
    contact = Contact.objects.filter(email__iexact=email).order_by("id").first()
    if contact is None:
        return False
    now = timezone.now()
    recent = MagicLink.objects.filter(
        email=email, created_at__gte=now - timedelta(minutes=15)
    ).count()
    if recent >= settings.ANDON_MAGIC_LINK_MAX_PER_15_MINUTES:
        raise RateLimited(_("登录链接发送太频繁，请稍后再试"), code="too_many_links")
    token = secrets.token_urlsafe(32)
    ttl = settings.ANDON_MAGIC_LINK_TTL_MINUTES
    MagicLink.objects.create(
        token_hash=hash_token(token),
        contact=contact,
        email=email,
        next_path=_safe_next(next_path),
        created_at=now,
        expires_at=now + timedelta(minutes=ttl),
    )
    url = settings.SITE_URL + reverse("portal:magic", args=[token])
    body = _(
        "%(name)s，您好：\n\n"
        "请点击下面的链接登录服务门户（%(minutes)s 分钟内有效，只能使用一次）：\n\n"
        "%(url)s\n\n如果不是您本人操作，请忽略这封邮件。"
    ) % {"name": contact.name, "minutes": ttl, "url": url}
    send_mail(
        _("服务门户登录链接"), body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False
    )
    return True


def peek_magic_link(token: str) -> MagicLink | None:
    """The link if it can still be used (for the confirmation page); never consumes it."""
    link = MagicLink.objects.select_related("contact").filter(token_hash=hash_token(token)).first()
    if link is None or link.used_at is not None or link.expires_at <= timezone.now():
        return None
    return link


@transaction.atomic
def consume_magic_link(*, token: str) -> tuple[User, str]:
    """Use the link once: returns the contact's portal user (made on first use) and where to go."""
    link = (
        MagicLink.objects.select_for_update()
        .select_related("contact")
        .filter(token_hash=hash_token(token or ""))
        .first()
    )
    now = timezone.now()
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise NotFound(_("登录链接无效、已使用或已过期，请重新获取"), code="link_invalid")
    link.used_at = now
    link.save(update_fields=["used_at"])
    return portal_user_for(link.contact), link.next_path


def revoke_contact_access(contact: Contact, old_email: str) -> None:
    """The contact's address changed: links sent to the old one stop working and the portal
    user's sessions end (a new unusable password changes the session's auth hash, which Django
    checks on every request); the user takes the new address."""
    now = timezone.now()
    MagicLink.objects.filter(contact=contact, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    account = PortalAccount.objects.select_related("user").filter(contact=contact).first()
    if account is None:
        return
    from andon.accounts.services import revoke_api_tokens

    user = account.user
    user.set_unusable_password()
    user.email = contact.email
    user.save(update_fields=["password", "email"])
    revoke_api_tokens(user=user)


def portal_user_for(contact: Contact) -> User:
    account = PortalAccount.objects.select_related("user").filter(contact=contact).first()
    if account is not None:
        user = account.user
        if not user.is_active:
            raise PermissionDenied(_("该账号已停用"))
        wanted = {"display_name": contact.name, "email": contact.email}
        changed = [f for f, value in wanted.items() if value and getattr(user, f) != value]
        for f in changed:
            setattr(user, f, wanted[f])
        if changed:
            user.save(update_fields=changed)
        return user
    user = User(username=f"contact-{contact.pk}", display_name=contact.name, email=contact.email)
    user.set_unusable_password()
    user.save()
    PortalAccount.objects.create(user=user, contact=contact, created_at=timezone.now())
    return user


# --- the portal origin of a ticket ------------------------------------------------------------


def clean_portal_origin(actor, details: dict) -> tuple[dict, object]:
    """A contact's ticket names the contact (and their customer) in its origin; an employee's
    needs nothing more. Registered with `andon.tickets.origins` (see PortalConfig.ready)."""
    if not is_portal_contact(actor):
        return {}, None
    contact = actor.portal_account.contact
    return {"contact": {"id": contact.pk, "name": contact.name}}, contact


def record_portal_origin(ticket: Ticket, contact: Contact | None) -> None:
    if contact is None:
        return
    TicketOrigin.objects.create(
        ticket=ticket,
        contact=contact,
        customer_id=contact.customer_id,
        external_userid=contact.external_userid or "",
        details={"contact": contact.name, "email": contact.email},
    )
