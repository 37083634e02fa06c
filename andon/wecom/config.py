"""The WeCom configuration in effect: the environment first, then what an administrator entered on
/config/wecom/ (secrets stored encrypted with a Fernet key from ANDON_SECRETS_KEY).

Values set in the environment cannot be changed on the page (the page says so); everything else
can. Nothing here ever hands a secret back to a template: the page learns only *whether* a secret
is set and where it comes from.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils.translation import gettext

from andon.wecom.models import WeComSettings

# (config attribute, Django setting read from the environment, encrypted model field or None)
FIELDS = (
    ("corp_id", "WECOM_CORP_ID", None),
    ("agent_id", "WECOM_AGENT_ID", None),
    ("secret", "WECOM_SECRET", "secret_encrypted"),
    ("contacts_secret", "WECOM_CONTACTS_SECRET", "contacts_secret_encrypted"),
    ("callback_token", "WECOM_CALLBACK_TOKEN", "callback_token_encrypted"),
    ("callback_aes_key", "WECOM_CALLBACK_AES_KEY", "callback_aes_key_encrypted"),
)
SECRET_FIELDS = tuple(name for name, _setting, encrypted in FIELDS if encrypted)


class SecretsKeyMissing(Exception):
    """ANDON_SECRETS_KEY is not set, so a secret cannot be stored (or read back) here."""


@dataclass(frozen=True)
class WeComConfig:
    corp_id: str = ""
    agent_id: str = ""
    secret: str = ""
    contacts_secret: str = ""
    callback_token: str = ""
    callback_aes_key: str = ""
    wecom_owns_org_chart: bool = False
    # attribute -> "env" | "db" | "" (not set)
    sources: tuple[tuple[str, str], ...] = ()

    def __repr__(self) -> str:  # secrets stay out of reprs and logs
        return f"WeComConfig(corp_id={self.corp_id!r}, agent_id={self.agent_id!r})"

    @property
    def configured(self) -> bool:
        """Enough to call the API as the application (corp id, agent id, secret)."""
        return bool(self.corp_id and self.agent_id and self.secret)

    @property
    def sync_secret(self) -> str:
        """The contacts (通讯录同步) secret when one is set, else the application's."""
        return self.contacts_secret or self.secret

    def source(self, name: str) -> str:
        return dict(self.sources).get(name, "")


def _fernet() -> Fernet:
    key = getattr(settings, "ANDON_SECRETS_KEY", "")
    if not key:
        raise SecretsKeyMissing("ANDON_SECRETS_KEY is not set")
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        # Any other string works too: a Fernet key is derived from it, so an operator can use
        # a long random password instead of `Fernet.generate_key()`.
        return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, SecretsKeyMissing):
        # A changed or missing key: the stored secret is unusable, as if it were not set.
        return ""


def stored_settings() -> WeComSettings:
    row = WeComSettings.objects.order_by("pk").first()
    return row if row is not None else WeComSettings()


def current() -> WeComConfig:
    """The configuration in effect now (one small query)."""
    row = stored_settings()
    values: dict[str, str] = {}
    sources: list[tuple[str, str]] = []
    for name, setting_name, encrypted in FIELDS:
        env_value = str(getattr(settings, setting_name, "") or "")
        if env_value:
            values[name], source = env_value, "env"
        else:
            stored = decrypt_secret(getattr(row, encrypted)) if encrypted else getattr(row, name)
            values[name], source = stored, ("db" if stored else "")
        sources.append((name, source))
    return WeComConfig(
        **values, wecom_owns_org_chart=row.wecom_owns_org_chart, sources=tuple(sources)
    )


def chart_owner_reason() -> str:
    """accounts' chart-owner port: the reason its pages are read-only, or ""."""
    if not stored_settings().wecom_owns_org_chart:
        return ""
    return gettext(
        "组织架构以企业微信为准：部门、成员、负责人和直属上级由企业微信同步，在这里只读；"
        "角色与可接单状态仍在 Andon 设置。"
    )


def oauth_base() -> str:
    return settings.WECOM_OAUTH_BASE.rstrip("/")


def login_base() -> str:
    return settings.WECOM_LOGIN_BASE.rstrip("/")


def callback_url() -> str:
    """What to paste into WeCom's 接收消息 settings."""
    return f"{settings.SITE_URL}/wecom/callback/"
