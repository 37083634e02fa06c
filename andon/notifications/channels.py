"""Senders for the outbox channels. Each returns a short detail on success and raises
DeliveryError with a readable reason on a failure worth retrying.

Notifications sits below the channel apps (DESIGN.md §4 "Layers"), so a channel that lives in
its own app registers its sender here from that app's `AppConfig.ready()`: WeCom does
(`andon.wecom.delivery`). A channel without a sender, or whose sender says it is not available
(WeCom not configured), gets no outbox copies."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from andon.core.net import UnsafeTarget, pinned_target
from andon.core.validation import one_line
from andon.notifications.models import Channel, OutboxMessage


class DeliveryError(Exception):
    """A send failed in a way worth retrying; the message says why (shown to admins)."""


@dataclass(frozen=True)
class Sender:
    send: Callable[[OutboxMessage], str]
    available: Callable[[], bool]


_senders: dict[str, Sender] = {}


def _always() -> bool:
    return True


def register_sender(
    channel: str, send: Callable[[OutboxMessage], str], *, available: Callable[[], bool] = _always
) -> None:
    """The port for channel apps: `send(message)` delivers one outbox message; `available()`
    says whether the channel is set up at all (asked once per batch of recipients)."""
    _senders[channel] = Sender(send, available)


def available(channel: str) -> bool:
    sender = _senders.get(channel)
    return sender is not None and sender.available()


def send(message: OutboxMessage) -> str:
    sender = _senders.get(message.channel)
    if sender is None:
        raise DeliveryError(f"no sender for channel {message.channel}")
    return sender.send(message)


def send_email(message: OutboxMessage) -> str:
    recipient = message.recipient
    # A copy to an address without an account (a ticket's 抄送) carries the address itself.
    address = recipient.email if recipient is not None else (message.payload or {}).get("email")
    if not address:
        raise DeliveryError("收件人没有邮箱")
    context = {"message": message, "recipient": recipient}
    mail = EmailMultiAlternatives(
        subject=one_line(f"[Andon] {message.subject}"),
        body=render_to_string("notifications/email.txt", context),
        to=[address],
    )
    mail.attach_alternative(render_to_string("notifications/email.html", context), "text/html")
    try:
        mail.send()
    except OSError as exc:  # smtplib errors are OSError subclasses
        raise DeliveryError(f"SMTP: {exc}") from exc
    return f"sent to {address}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex; receivers recompute it to verify."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def send_webhook(message: OutboxMessage) -> str:
    hook = message.webhook
    if hook is None or not hook.is_active:
        raise DeliveryError("webhook 已删除或停用")
    body = json.dumps(message.payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Andon-Webhook/1",
        "X-Andon-Event": one_line(message.subject),
        "X-Andon-Delivery": message.key,
        "X-Andon-Timestamp": timestamp,
        "X-Andon-Signature": sign(hook.secret, timestamp, body),
    }
    try:
        # Checked again here, after DNS: the name may point somewhere else than when it was saved.
        target = pinned_target(hook.url, allow_private=settings.ANDON_WEBHOOK_ALLOW_PRIVATE)
    except UnsafeTarget as exc:
        raise DeliveryError(str(exc)) from exc
    seconds = settings.ANDON_WEBHOOK_TIMEOUT
    try:
        # Redirects are not followed (one could lead to an address that was never checked).
        with httpx.Client(timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0))) as client:
            response = client.post(
                target.url,
                content=body,
                headers={**headers, "Host": target.host_header},
                extensions={"sni_hostname": target.host},
            )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    # Only the status: the receiver's body is not shown back (it may be a page of an internal
    # service the admin should not be able to read through Andon).
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}")
    return f"HTTP {response.status_code}"


register_sender(Channel.EMAIL, send_email)
register_sender(Channel.WEBHOOK, send_webhook)
