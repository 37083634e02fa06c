"""A thin synchronous client over the WeCom (企业微信) server API.

Credentials (the access token and the JS-SDK tickets) are cached in the database, shared by every
web and worker process: WeCom limits how often they may be fetched, and nothing a second process
needs may live only in one process's memory. A token is refreshed a few minutes before it expires;
when WeCom rejects it anyway (42001 expired, 40014 invalid, 40001) it is dropped and the call is
retried once with a new one.

The access token travels as a query parameter, so every URL this module logs is redacted, and a
logging filter on httpx's own request logger does the same for httpx's INFO lines.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from andon.wecom import config as wecom_config
from andon.wecom.errors import (
    RATE_LIMIT_ERRCODES,
    TOKEN_INVALID_ERRCODES,
    WeComError,
    WeComNotConfigured,
    WeComRateLimited,
    WeComTransportError,
)
from andon.wecom.models import AccessToken

__all__ = [
    "OAuthIdentity",
    "SentMessage",
    "WeComClient",
    "WeComError",
    "WeComNotConfigured",
    "WeComRateLimited",
    "WeComTransportError",
    "js_sdk_signature",
    "redact",
]

log = logging.getLogger(__name__)

# Query parameters whose values must never reach a log line or an exception message.
SENSITIVE_PARAMS = (
    "access_token",
    "corpsecret",
    "secret",
    "code",
    "suite_access_token",
    "provider_access_token",
    "jsapi_ticket",
    "ticket",
)
_SENSITIVE_RE = re.compile(
    r"(?P<key>(?<![A-Za-z0-9_])(?:" + "|".join(SENSITIVE_PARAMS) + r")=)[^&#\s\"'<>]*",
    re.IGNORECASE,
)
REDACTED = "***"


def redact(text: object) -> str:
    """`text` as a string with the values of secret query parameters replaced by ***."""
    return _SENSITIVE_RE.sub(lambda m: m.group("key") + REDACTED, str(text))


class RedactSecretsFilter(logging.Filter):
    """Rewrites log records so that URLs carrying tokens or secrets are redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "=" in record.msg:
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_arg(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_redact_arg(value) for value in record.args)
        return True


def _redact_arg(value: object) -> object:
    if isinstance(value, httpx.URL | str):
        return redact(value)
    return value


def _install_log_redaction() -> None:
    # httpx logs every request URL (with its query string) at INFO on the "httpx" logger.
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, RedactSecretsFilter) for existing in httpx_logger.filters):
        httpx_logger.addFilter(RedactSecretsFilter())


_install_log_redaction()


def js_sdk_signature(url: str, ticket: str, noncestr: str, timestamp: int | str) -> str:
    """The JS-SDK config signature: SHA1 over the fixed-order, unescaped query string.

    The URL is the page's full URL without the fragment (WeCom signs what the page sees).
    """
    page_url = url.split("#", 1)[0]
    plain = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={page_url}"
    return hashlib.sha1(plain.encode("utf-8")).hexdigest()


def _nonce(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _split_ids(value: object) -> list[str]:
    """WeCom returns id lists as "a|b" strings (sometimes as JSON lists); normalise to a list."""
    if not value:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value if str(item)]
    return [item for item in str(value).split("|") if item]


@dataclass(frozen=True)
class SentMessage:
    """What message/send reported back. Recipients WeCom could not deliver to are listed."""

    msgid: str = ""
    invalid_users: list[str] = field(default_factory=list)
    invalid_parties: list[str] = field(default_factory=list)
    invalid_tags: list[str] = field(default_factory=list)
    unlicensed_users: list[str] = field(default_factory=list)

    @classmethod
    def from_response(cls, data: dict[str, Any]) -> SentMessage:
        return cls(
            msgid=str(data.get("msgid", "") or ""),
            invalid_users=_split_ids(data.get("invaliduser")),
            invalid_parties=_split_ids(data.get("invalidparty")),
            invalid_tags=_split_ids(data.get("invalidtag")),
            unlicensed_users=_split_ids(data.get("unlicenseduser")),
        )


@dataclass(frozen=True)
class OAuthIdentity:
    """Who an OAuth code belongs to: a member (`userid`) or an outsider (`openid`)."""

    userid: str = ""
    openid: str = ""
    external_userid: str = ""
    user_ticket: str = ""
    device_id: str = ""

    @property
    def is_member(self) -> bool:
        return bool(self.userid)

    def __repr__(self) -> str:  # the user ticket is a credential; keep it out of reprs and logs
        return f"OAuthIdentity(userid={self.userid!r}, openid={self.openid!r})"


class WeComClient:
    """Calls the WeCom server API for one application (corp id + agent id + its secret).

    Every argument defaults to the matching WECOM_* setting. Use it as a context manager, or call
    `close()`, to release the HTTP connection pool.
    """

    REFRESH_MARGIN = timedelta(minutes=5)
    MAX_RECIPIENTS = 1000
    DEFAULT_TIMEOUT = 10.0

    def __init__(
        self,
        *,
        corp_id: str | None = None,
        agent_id: str | int | None = None,
        secret: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if corp_id is None or agent_id is None or secret is None:
            # The environment, else what an administrator entered on /config/wecom/.
            config = wecom_config.current()
            corp_id = config.corp_id if corp_id is None else corp_id
            agent_id = config.agent_id if agent_id is None else agent_id
            secret = config.secret if secret is None else secret
        self.corp_id = corp_id
        self.agent_id = str(agent_id)
        self._secret = secret
        self.base_url = (base_url or settings.WECOM_API_BASE).rstrip("/")
        seconds = self.DEFAULT_TIMEOUT if timeout is None else timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            transport=transport,
            headers={"User-Agent": "andon-wecom/1"},
        )

    def __repr__(self) -> str:
        return f"WeComClient(corp_id={self.corp_id!r}, agent_id={self.agent_id!r})"

    def __enter__(self) -> WeComClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- Application messages -------------------------------------------------------------

    def send_text_card(
        self,
        to_users: Iterable[str],
        title: str,
        description: str,
        url: str,
        btntxt: str = "详情",
        *,
        duplicate_check_interval: int | None = None,
    ) -> SentMessage:
        """A text card (文本卡片): title, description (a little HTML allowed), a link button."""
        card = {"title": title, "description": description, "url": url, "btntxt": btntxt}
        return self._send_message(
            to_users, "textcard", card, duplicate_check_interval=duplicate_check_interval
        )

    def send_text(
        self,
        to_users: Iterable[str],
        content: str,
        *,
        safe: bool = False,
        duplicate_check_interval: int | None = None,
    ) -> SentMessage:
        return self._send_message(
            to_users,
            "text",
            {"content": content},
            extra={"safe": 1 if safe else 0},
            duplicate_check_interval=duplicate_check_interval,
        )

    def _send_message(
        self,
        to_users: Iterable[str],
        msgtype: str,
        content: dict[str, Any],
        *,
        extra: dict[str, Any] | None = None,
        duplicate_check_interval: int | None = None,
    ) -> SentMessage:
        if isinstance(to_users, str):
            raise TypeError("to_users must be a list of userids, not one string")
        users = list(dict.fromkeys(user.strip() for user in to_users if user and user.strip()))
        if not users:
            raise ValueError("a WeCom message needs at least one recipient")
        if len(users) > self.MAX_RECIPIENTS:
            raise ValueError(f"WeCom accepts at most {self.MAX_RECIPIENTS} recipients per message")
        self._require(agent_id=self.agent_id)
        body: dict[str, Any] = {
            "touser": "|".join(users),
            "msgtype": msgtype,
            "agentid": self._agent_id_value(),
            msgtype: content,
            **(extra or {}),
        }
        if duplicate_check_interval:
            # WeCom drops an identical request body sent again within the interval, so a
            # retried send cannot reach the user twice.
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = int(duplicate_check_interval)
        data = self._call("POST", "/cgi-bin/message/send", json=body)
        result = SentMessage.from_response(data)
        if result.invalid_users or result.unlicensed_users:
            log.warning(
                "WeCom message %s not delivered to invalid=%s unlicensed=%s",
                result.msgid,
                result.invalid_users,
                result.unlicensed_users,
            )
        return result

    # --- Org chart ----------------------------------------------------------------------

    def list_departments(self, department_id: int | None = None) -> list[dict[str, Any]]:
        """Departments (id, name, parentid, order, department_leader); all, or a subtree."""
        params = {} if department_id is None else {"id": department_id}
        data = self._call("GET", "/cgi-bin/department/list", params=params)
        return list(data.get("department") or [])

    def list_department_users(self, department_id: int) -> list[dict[str, Any]]:
        """Members of one department with details (is_leader_in_dept, direct_leader, …), every
        page of them (a `next_cursor` in the answer asks for the next one)."""
        members: list[dict[str, Any]] = []
        params: dict[str, Any] = {"department_id": department_id}
        while True:
            data = self._call("GET", "/cgi-bin/user/list", params=params)
            members.extend(data.get("userlist") or [])
            cursor = data.get("next_cursor")
            if not cursor:
                return members
            params = {"department_id": department_id, "cursor": cursor}

    def get_agent(self) -> dict[str, Any]:
        """The application (agent/get): name, state and its visible range (可见范围)."""
        self._require(agent_id=self.agent_id)
        data = self._call("GET", "/cgi-bin/agent/get", params={"agentid": self.agent_id})
        return {key: value for key, value in data.items() if key not in ("errcode", "errmsg")}

    def get_tag(self, tag_id: int) -> dict[str, Any]:
        """A tag's members (userlist) and departments (partylist)."""
        data = self._call("GET", "/cgi-bin/tag/get", params={"tagid": tag_id})
        return {key: value for key, value in data.items() if key not in ("errcode", "errmsg")}

    def get_user(self, userid: str) -> dict[str, Any]:
        data = self._call("GET", "/cgi-bin/user/get", params={"userid": userid})
        return {key: value for key, value in data.items() if key not in ("errcode", "errmsg")}

    # --- OAuth and JS-SDK -------------------------------------------------------------------

    def oauth_user_info(self, code: str) -> OAuthIdentity:
        """Who the OAuth `code` from a login redirect belongs to (auth/getuserinfo)."""
        data = self._call("GET", "/cgi-bin/auth/getuserinfo", params={"code": code})
        return OAuthIdentity(
            # The older user/getuserinfo spelled these UserId/OpenId/DeviceId.
            userid=str(data.get("userid") or data.get("UserId") or ""),
            openid=str(data.get("openid") or data.get("OpenId") or ""),
            external_userid=str(data.get("external_userid") or ""),
            user_ticket=str(data.get("user_ticket") or ""),
            device_id=str(data.get("DeviceId") or data.get("deviceid") or ""),
        )

    def oauth_user_detail(self, user_ticket: str) -> dict[str, Any]:
        """The sensitive details (mobile, e-mail) a snsapi_privateinfo sign-in may read."""
        data = self._call("POST", "/cgi-bin/auth/getuserdetail", json={"user_ticket": user_ticket})
        return {key: value for key, value in data.items() if key not in ("errcode", "errmsg")}

    def jsapi_ticket(self) -> str:
        """The corp jsapi_ticket for wx.config, cached in the database like the access token."""
        return self._credential(AccessToken.KIND_JSAPI_TICKET, self._fetch_jsapi_ticket)

    def agent_jsapi_ticket(self) -> str:
        """The application's ticket for wx.agentConfig (needed by the contact/chat JS APIs)."""
        return self._credential(AccessToken.KIND_AGENT_TICKET, self._fetch_agent_ticket)

    js_sdk_signature = staticmethod(js_sdk_signature)

    def js_sdk_config(self, url: str, *, include_agent: bool = True) -> dict[str, Any]:
        """Everything a page needs for wx.config (and wx.agentConfig) on `url`."""
        timestamp = int(time.time())
        nonce = _nonce()
        config: dict[str, Any] = {
            "config": {
                "corpid": self.corp_id,
                "timestamp": timestamp,
                "nonceStr": nonce,
                "signature": js_sdk_signature(url, self.jsapi_ticket(), nonce, timestamp),
            }
        }
        if include_agent:
            agent_nonce = _nonce()
            config["agent_config"] = {
                "corpid": self.corp_id,
                "agentid": self._agent_id_value(),
                "timestamp": timestamp,
                "nonceStr": agent_nonce,
                "signature": js_sdk_signature(
                    url, self.agent_jsapi_ticket(), agent_nonce, timestamp
                ),
            }
        return config

    # --- Credentials --------------------------------------------------------------------

    def access_token(self) -> str:
        """A valid access token, from the shared cache or freshly fetched."""
        return self._credential(AccessToken.KIND_ACCESS_TOKEN, self._fetch_access_token)

    def fresh_access_token(self) -> tuple[str, int]:
        """Call gettoken now, bypassing the cache (the settings page's connection test)."""
        token, expires_in = self._fetch_access_token()
        return token, expires_in

    def invalidate_access_token(self, token: str | None = None) -> None:
        """Forget the cached access token (only if it is still `token`, when one is given)."""
        self._invalidate(AccessToken.KIND_ACCESS_TOKEN, token)

    def _key(self, kind: str) -> dict[str, str]:
        return {"corp_id": self.corp_id, "agent_id": self.agent_id, "kind": kind}

    def _credential(self, kind: str, fetch: Callable[[], tuple[str, int]]) -> str:
        row = AccessToken.objects.filter(**self._key(kind)).first()
        if row is not None and row.token and timezone.now() < row.refresh_at:
            return row.token
        return self._refresh(kind, fetch)

    def _refresh(self, kind: str, fetch: Callable[[], tuple[str, int]]) -> str:
        key = self._key(kind)
        if not connection.features.has_select_for_update:
            # SQLite: a write transaction would lock the whole database for the HTTP round
            # trip. Concurrent refreshes are harmless there (WeCom hands out the same token
            # while it is valid); they only cost an extra call.
            return self._fetch_and_store(kind, fetch, AccessToken.objects.filter(**key).first())
        # Elsewhere the row lock makes concurrent processes wait for the one refresh instead of
        # all calling WeCom when the token runs out.
        epoch = timezone.now() - timedelta(days=1)
        with transaction.atomic():
            AccessToken.objects.get_or_create(
                **key, defaults={"expires_at": epoch, "refresh_at": epoch}
            )
            row = AccessToken.objects.select_for_update().get(**key)
            if row.token and timezone.now() < row.refresh_at:
                return row.token
            return self._fetch_and_store(kind, fetch, row)

    def _fetch_and_store(
        self, kind: str, fetch: Callable[[], tuple[str, int]], cached: AccessToken | None
    ) -> str:
        try:
            token, expires_in = fetch()
        except WeComNotConfigured:
            raise
        except WeComError as exc:
            if cached is not None and cached.token and timezone.now() < cached.expires_at:
                log.warning(
                    "refreshing the WeCom %s failed (errcode %s); using the cached one until it "
                    "expires",
                    kind,
                    exc.errcode,
                )
                return cached.token
            raise
        now = timezone.now()
        lifetime = timedelta(seconds=max(int(expires_in), 0))
        # Refresh early, but never spend more than half of a short lifetime waiting.
        margin = min(self.REFRESH_MARGIN, lifetime / 2)
        AccessToken.objects.update_or_create(
            **self._key(kind),
            defaults={
                "token": token,
                "expires_at": now + lifetime,
                "refresh_at": now + lifetime - margin,
            },
        )
        log.info("fetched a new WeCom %s for agent %s (valid %ss)", kind, self.agent_id, expires_in)
        return token

    def _invalidate(self, kind: str, token: str | None) -> None:
        past = timezone.now() - timedelta(seconds=1)
        rows = AccessToken.objects.filter(**self._key(kind))
        if token is not None:
            # Compare-and-drop: another process may already have stored a fresh token.
            rows = rows.filter(token=token)
        rows.update(expires_at=past, refresh_at=past, updated_at=timezone.now())

    def _fetch_access_token(self) -> tuple[str, int]:
        self._require(corp_id=self.corp_id, secret=self._secret)
        data = self._request(
            "GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self._secret}
        )
        return self._token_from(data, "access_token")

    def _fetch_jsapi_ticket(self) -> tuple[str, int]:
        return self._token_from(self._call("GET", "/cgi-bin/get_jsapi_ticket"), "ticket")

    def _fetch_agent_ticket(self) -> tuple[str, int]:
        data = self._call("GET", "/cgi-bin/ticket/get", params={"type": "agent_config"})
        return self._token_from(data, "ticket")

    @staticmethod
    def _token_from(data: dict[str, Any], name: str) -> tuple[str, int]:
        token = data.get(name)
        if not token or not isinstance(token, str):
            raise WeComTransportError(f"WeCom answered without a {name}")
        try:
            expires_in = int(data.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200
        return token, expires_in

    # --- Transport ------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An authenticated call; a rejected token is replaced and the call retried once."""
        retried = False
        while True:
            token = self.access_token()
            try:
                return self._request(
                    method, path, params={"access_token": token, **(params or {})}, json=json
                )
            except WeComTransportError:
                raise
            except WeComError as exc:
                if retried or exc.errcode not in TOKEN_INVALID_ERRCODES:
                    raise
                log.info(
                    "WeCom %s rejected the access token (errcode %s); fetching a new one",
                    exc.api,
                    exc.errcode,
                )
                self._invalidate(AccessToken.KIND_ACCESS_TOKEN, token)
                retried = True

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        api = path.removeprefix("/cgi-bin/")
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException as exc:
            raise WeComTransportError(f"timed out ({type(exc).__name__})", api=api) from exc
        except httpx.HTTPError as exc:
            # httpx messages never carry the query string, but redact anyway.
            raise WeComTransportError(
                f"could not reach WeCom: {type(exc).__name__}: {redact(exc)}", api=api
            ) from exc
        log.debug(
            "WeCom %s %s -> HTTP %s", method, redact(response.request.url), response.status_code
        )
        if response.status_code != 200:
            raise WeComTransportError(
                f"HTTP {response.status_code}", api=api, status_code=response.status_code
            )
        try:
            data = response.json()
        except ValueError as exc:
            raise WeComTransportError("the response is not JSON", api=api) from exc
        if not isinstance(data, dict):
            raise WeComTransportError("the response is not a JSON object", api=api)
        try:
            errcode = int(data.get("errcode") or 0)
        except (TypeError, ValueError):
            errcode = -1
        if errcode:
            errmsg = str(data.get("errmsg") or "")
            log.warning("WeCom %s failed: errcode=%s errmsg=%s", api, errcode, redact(errmsg))
            error_class = WeComRateLimited if errcode in RATE_LIMIT_ERRCODES else WeComError
            raise error_class(errcode, errmsg, api=api)
        return data

    def _agent_id_value(self) -> int | str:
        return int(self.agent_id) if self.agent_id.isdigit() else self.agent_id

    @staticmethod
    def _require(**values: str) -> None:
        missing = [name for name, value in values.items() if not value]
        if missing:
            names = ", ".join(f"WECOM_{name.upper()}" for name in missing)
            raise WeComNotConfigured(f"WeCom is not configured: {names} is empty")
