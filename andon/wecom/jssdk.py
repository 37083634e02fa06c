"""What a page needs to use the WeCom JS-SDK (`ww.register` in @wecom/jssdk): the corp id, the
agent id and, for the page's URL, the config and agentConfig signatures — SHA1 over
"jsapi_ticket=…&noncestr=…&timestamp=…&url=…" with the corp jsapi_ticket and the application's
ticket respectively (`andon.wecom.client.js_sdk_signature`).

Only URLs of this site are signed: a signature is a grant to call WeCom's client APIs as our
application from that page, so a page elsewhere must not be able to get one from us."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from andon.wecom.client import WeComClient
from andon.wecom.errors import WeComError, WeComNotConfigured

# The client APIs the sidebar uses (WeCom checks each against the application's permissions).
SIDEBAR_JS_APIS = ["getContext", "getCurExternalContact", "getCurExternalChat"]


class SignatureRefused(Exception):
    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def check_url(url: str, *, host: str) -> str:
    """The URL to sign, if it is a page of this site (`host` as the request saw it)."""
    url = (url or "").strip()
    if not url or len(url) > 2000:
        raise SignatureRefused(_("缺少要签名的页面地址"))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        raise SignatureRefused(_("只能为本站页面签名"), status=403)
    # WeCom signs the address without its fragment.
    return url.split("#", 1)[0]


def sidebar_config(url: str) -> dict[str, Any]:
    """{corp_id, agent_id, js_api_list, config: {timestamp, nonceStr, signature},
    agent_config: {...}} for `url` (already checked)."""
    try:
        with WeComClient() as client:
            signed = client.js_sdk_config(url, include_agent=True)
            corp_id, agent_id = client.corp_id, client.agent_id
    except WeComNotConfigured as exc:
        raise SignatureRefused(_("企业微信尚未配置"), status=503) from exc
    except WeComError as exc:
        raise SignatureRefused(
            _("暂时无法从企业微信取得 JS-SDK 票据（错误码 %s）") % exc.errcode, status=502
        ) from exc
    pick = ("timestamp", "nonceStr", "signature")
    return {
        "corp_id": corp_id,
        "agent_id": agent_id,
        "js_api_list": SIDEBAR_JS_APIS,
        "config": {key: signed["config"][key] for key in pick},
        "agent_config": {key: signed["agent_config"][key] for key in pick},
    }
