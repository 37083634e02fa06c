"""WeCom as a notification channel: the application-message sender that the outbox uses,
registered into `andon.notifications.channels` from WecomConfig.ready().

WeCom is available when the connection is configured — corp id, agent id and secret — from the
environment or from /config/wecom/ (`andon.wecom.config.current`)."""

from __future__ import annotations

import httpx
from django.conf import settings

from andon.core.validation import one_line
from andon.notifications.channels import DeliveryError
from andon.wecom import config as wecom_config
from andon.wecom.client import WeComClient, WeComError
from andon.wecom.signin import signed_in_url


def available() -> bool:
    if settings.WECOM_CORP_ID and settings.WECOM_AGENT_ID and settings.WECOM_SECRET:
        return True  # all from the environment: no need to read the stored settings
    return wecom_config.current().configured


def send(message) -> str:
    recipient = message.recipient
    if recipient is None or not recipient.wecom_userid:
        raise DeliveryError("收件人没有企业微信账号")
    try:
        with WeComClient() as client:
            client.send_text_card(
                to_users=[recipient.wecom_userid],
                title=one_line(message.subject)[:128],
                description=message.body[:512] or message.subject[:128],
                url=signed_in_url(message.url or settings.SITE_URL),
            )
    except (WeComError, httpx.HTTPError) as exc:
        raise DeliveryError(f"WeCom: {exc}") from exc
    return f"sent to {recipient.wecom_userid}"
