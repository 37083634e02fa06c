"""Signing in with WeCom: 网页授权 inside the WeCom client and the web-login QR code on a PC.

Both end at the same callback with a `code` and our `state`. The state is a random nonce signed
with SECRET_KEY (WeCom allows 128 bytes, so the page to land on stays in the session, keyed by
the nonce); it is good for one use, in the browser that started the flow, for ten minutes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from andon.wecom import config as wecom_config
from andon.wecom import orgsync
from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError

User = get_user_model()

SESSION_KEY = "andon_wecom_signin"
STATE_SALT = "andon.wecom.signin"
STATE_MAX_AGE = 600
MAX_PENDING = 5
FLOW_OAUTH = "oauth"
FLOW_QR = "qr"


class SignInRefused(Exception):
    """Why this WeCom identity cannot sign in, in words for the refusal page."""

    def __init__(self, message: str, *, code: str) -> None:
        self.message = message
        self.code = code
        super().__init__(message)


def safe_next(request, candidate: str | None) -> str:
    """`candidate` if it points at this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def callback_uri() -> str:
    return f"{settings.SITE_URL}{reverse('wecom:oauth-callback')}"


def _new_state(request, *, next_url: str, flow: str) -> str:
    nonce = secrets.token_urlsafe(16)
    pending = dict(request.session.get(SESSION_KEY) or {})
    pending[nonce] = {"next": next_url, "flow": flow}
    # Several tabs may be signing in at once; only the latest few are kept.
    request.session[SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])
    return signing.TimestampSigner(salt=STATE_SALT).sign(nonce)


def consume_state(request, state: str) -> dict:
    """The pending sign-in `state` names, removed so it cannot be used again."""
    try:
        nonce = signing.TimestampSigner(salt=STATE_SALT).unsign(state or "", max_age=STATE_MAX_AGE)
    except signing.SignatureExpired:
        raise SignInRefused(_("登录请求已过期，请重新登录。"), code="state_expired") from None
    except signing.BadSignature:
        raise SignInRefused(_("登录请求无效（state 校验失败）。"), code="state_invalid") from None
    pending = dict(request.session.get(SESSION_KEY) or {})
    entry = pending.pop(nonce, None)
    request.session[SESSION_KEY] = pending
    if entry is None:
        raise SignInRefused(
            _("这个登录请求已经用过，或不是在这个浏览器里发起的，请重新登录。"), code="state_used"
        )
    return entry


def authorize_url(request, *, next_url: str) -> str:
    """网页授权 (inside WeCom): where to send the browser."""
    config = wecom_config.current()
    query = urlencode(
        {
            "appid": config.corp_id,
            "redirect_uri": callback_uri(),
            "response_type": "code",
            "scope": settings.WECOM_OAUTH_SCOPE,
            "state": _new_state(request, next_url=next_url, flow=FLOW_OAUTH),
            "agentid": config.agent_id,
        }
    )
    return f"{wecom_config.oauth_base()}/connect/oauth2/authorize?{query}#wechat_redirect"


def qr_login_url(request, *, next_url: str) -> str:
    """企业微信扫码登录 (a PC browser): WeCom's login page with the QR code."""
    config = wecom_config.current()
    query = urlencode(
        {
            "login_type": "CorpApp",
            "appid": config.corp_id,
            "agentid": config.agent_id,
            "redirect_uri": callback_uri(),
            "state": _new_state(request, next_url=next_url, flow=FLOW_QR),
        }
    )
    return f"{wecom_config.login_base()}/wwlogin/sso/login?{query}"


def available() -> bool:
    config = wecom_config.current()
    return bool(config.configured)


@dataclass(frozen=True)
class Identity:
    userid: str
    detail: dict


def identify(code: str) -> Identity:
    """Who the `code` belongs to (auth/getuserinfo, then auth/getuserdetail where allowed)."""
    if not code:
        raise SignInRefused(_("企业微信没有返回授权码，请重新登录。"), code="no_code")
    with WeComClient() as client:
        try:
            identity = client.oauth_user_info(code)
        except WeComError as exc:
            raise SignInRefused(
                _("企业微信拒绝了这次授权（错误码 %(code)s），请重新登录。")
                % {"code": exc.errcode},
                code="code_rejected",
            ) from exc
        if not identity.is_member:
            raise SignInRefused(
                _("这个企业微信身份不是本企业的成员，不能登录。"), code="not_member"
            )
        detail: dict = {}
        if identity.user_ticket:
            try:
                detail = client.oauth_user_detail(identity.user_ticket)
            except WeComError:
                detail = {}  # the details are a bonus; the sign-in itself succeeded
    return Identity(userid=identity.userid, detail=detail)


def account_for(identity: Identity):
    """The Andon account for this WeCom member: existing, or created from WeCom's org chart if
    the member is there and active; refused otherwise, and when the account is deactivated."""
    user = User.objects.filter(wecom_userid=identity.userid).first()
    if user is None:
        with WeComClient() as client:
            try:
                member = client.get_user(identity.userid)
            except WeComError as exc:
                raise SignInRefused(
                    _("企业微信账号「%(userid)s」不在 Andon 的组织架构中，请联系管理员。")
                    % {"userid": identity.userid},
                    code="not_in_chart",
                ) from exc
        if not orgsync.is_active_member(member):
            raise SignInRefused(
                _("企业微信账号「%(userid)s」已停用或已离职，不能登录。")
                % {"userid": identity.userid},
                code="not_in_chart",
            )
        user = orgsync.apply_member(member=member, actor=orgsync.system_actor())
    if not user.is_active:
        raise SignInRefused(
            _("你的 Andon 账号（%(name)s）已停用，不能登录。") % {"name": user.name},
            code="deactivated",
        )
    changed = []
    for key, limit in (("email", 254), ("mobile", 30)):
        value = str(identity.detail.get(key) or "")[:limit]
        if value and getattr(user, key) != value:
            setattr(user, key, value)
            changed.append(key)
    if changed:
        user.save(update_fields=changed)
    return user


def signed_in_url(url: str) -> str:
    """The link to put into a WeCom message for `url` (a page of this site): tapped inside WeCom
    it signs the person in first and lands on the page."""
    site = settings.SITE_URL
    path = url[len(site) :] if url.startswith(site) else url
    if not path.startswith("/") or path.startswith("//"):
        return url  # not one of ours: leave it alone
    return f"{site}{reverse('wecom:oauth-start')}?next={quote(path, safe='/')}"
