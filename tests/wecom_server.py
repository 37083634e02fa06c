"""A local HTTP server that speaks the WeCom (企业微信) server API, for tests.

`FakeWeCom` runs a threaded `http.server` on 127.0.0.1 (random port) and answers the API paths the
product uses with WeCom's JSON shapes and errcodes: gettoken, message/send, department/list,
user/list (paged by cursor), user/get, agent/get, tag/get, auth/getuserinfo, auth/getuserdetail,
get_jsapi_ticket and ticket/get, and the external-contact and customer group chat APIs
(tests/wecom_external.py). It also plays the two browser pages of sign-in: 网页授权
(`/connect/oauth2/authorize` redirects back with a code for `client_userid`, the person "using
the WeCom app") and the web-login QR page (`/wwlogin/sso/login`, where a test clicks 确认登录 as
the person who "scanned"). Tests can expire tokens (42001), inject errcodes (rate limits
45009/45033, 40014, -1 …) or HTTP failures, register OAuth codes, change the org chart, and read
back every message and call it received.

It pushes callbacks to Andon encrypted and signed with WXBizMsgCrypt, implemented here on its own
(`WXBizMsgCrypt` below) rather than with Andon's andon/wecom/crypto.py, so each checks the other.

Use the `wecom_server` fixture: it starts a server, points the WECOM_* settings at it and stops it
afterwards. To use it outside tests/wecom, import it in a conftest:

    from tests.wecom_server import wecom_server  # noqa: F401
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import html
import json
import os
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests import wecom_external

CORP_ID = "ww0a1b2c3d4e5f6a7b"
AGENT_ID = "1000002"
SECRET = "fake-app-secret-3f9a0c1d7e"
CALLBACK_TOKEN = "AndonCallbackToken"
# 43 characters of base64, as WeCom's console generates them.
CALLBACK_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

MESSAGE_TYPES = {
    "text": ("content",),
    "textcard": ("title", "description", "url"),
    "markdown": ("content",),
    "news": ("articles",),
    "template_card": ("card_type",),
}


def default_departments() -> list[dict[str, Any]]:
    return [
        {"id": 1, "name": "安灯科技", "name_en": "Andon", "parentid": 0, "order": 100000000,
         "department_leader": ["boss"]},
        {"id": 2, "name": "技术支持部", "name_en": "Support", "parentid": 1, "order": 100,
         "department_leader": ["zhangsan"]},
        {"id": 3, "name": "一线客服组", "name_en": "Frontline", "parentid": 2, "order": 50,
         "department_leader": ["lisi"]},
        {"id": 4, "name": "研发部", "name_en": "R&D", "parentid": 1, "order": 90,
         "department_leader": []},
    ]  # fmt: skip


def _user(userid: str, name: str, departments: list[int], leader_in: list[int],
          direct_leader: list[str], position: str) -> dict[str, Any]:  # fmt: skip
    return {
        "userid": userid,
        "name": name,
        "department": departments,
        "order": [0] * len(departments),
        "position": position,
        "mobile": "",
        "gender": "0",
        "email": f"{userid}@andon.test",
        "is_leader_in_dept": leader_in,
        "direct_leader": direct_leader,
        "avatar": "",
        "status": 1,
        "enable": 1,
        "main_department": departments[0],
    }


def default_users() -> dict[str, dict[str, Any]]:
    users = [
        _user("boss", "王总", [1], [1], [], "总经理"),
        _user("zhangsan", "张三", [2], [1], ["boss"], "支持部经理"),
        _user("lisi", "李四", [3, 2], [1, 0], ["zhangsan"], "客服组长"),
        _user("wangwu", "王五", [3], [0], ["lisi"], "一线客服"),
        _user("zhaoliu", "赵六", [4], [0], ["boss"], "工程师"),
    ]
    return {user["userid"]: user for user in users}


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, str]
    body: Any = None


@dataclass
class _Failure:
    errcode: int
    errmsg: str
    http_status: int = 200


@dataclass
class FakeWeCom:
    """The state and behaviour of a fake WeCom tenant, served over HTTP on 127.0.0.1."""

    corp_id: str = CORP_ID
    agent_id: str = AGENT_ID
    secret: str = SECRET
    token_ttl: int = 7200
    ticket_ttl: int = 7200
    departments: list[dict[str, Any]] = field(default_factory=default_departments)
    users: dict[str, dict[str, Any]] = field(default_factory=default_users)
    jsapi_ticket: str = "fake-corp-jsapi-ticket-8d7c6b5a"
    agent_ticket: str = "fake-agent-jsapi-ticket-1f2e3d4c"
    # The application's 可见范围 (agent/get): userids, department ids (with their subtrees), tags.
    visible_users: list[str] = field(default_factory=list)
    visible_parties: list[int] = field(default_factory=lambda: [1])
    visible_tags: list[int] = field(default_factory=list)
    tags: dict[int, dict[str, Any]] = field(default_factory=dict)  # tagid -> {users, parties}
    # Who "is using" the WeCom client when the browser opens the authorize page.
    client_userid: str = ""
    # user/list answers at most this many members per page (then a next_cursor).
    page_size: int = 1000
    # External contacts and customer group chats (客户联系), see tests/wecom_external.py.
    external: wecom_external.ExternalDirectory = field(
        default_factory=wecom_external.ExternalDirectory
    )

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, float] = {}  # token -> expiry (epoch seconds)
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []  # accepted message/send bodies (+ "msgid")
        self.oauth_codes: dict[str, dict[str, str]] = {}
        self.user_tickets: dict[str, str] = {}  # user_ticket -> userid (auth/getuserdetail)
        self._failures: dict[str, list[_Failure]] = {}
        self._recent_bodies: dict[str, float] = {}
        self._delays: dict[str, float] = {}
        self._msg_seq = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- Lifecycle --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake WeCom server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeWeCom:
        server = _Server(("127.0.0.1", 0), self)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeWeCom:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- Test controls ------------------------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now: the next use answers 42001."""
        with self.lock:
            past = time.time() - 1
            self.tokens = dict.fromkeys(self.tokens, past)

    def revoke_tokens(self) -> None:
        """Forget every issued token, as if the secret was reset: the next use answers 40014."""
        with self.lock:
            self.tokens.clear()

    def inject_error(
        self, path: str, errcode: int, errmsg: str = "injected error", *, times: int = 1
    ) -> None:
        """The next `times` calls to `path` (after the token check) answer `errcode`."""
        with self.lock:
            queue = self._failures.setdefault(_normalise(path), [])
            queue.extend(_Failure(errcode, errmsg) for _ in range(times))

    def rate_limit(
        self, times: int = 1, *, errcode: int = 45009, path: str = "/cgi-bin/message/send"
    ) -> None:
        """The next `times` calls to `path` are refused with a frequency-limit errcode."""
        self.inject_error(path, errcode, "api freq out of limit", times=times)

    def inject_http_status(self, path: str, status: int, *, times: int = 1) -> None:
        """The next `times` calls to `path` answer a bare HTTP `status` (e.g. 502)."""
        with self.lock:
            queue = self._failures.setdefault(_normalise(path), [])
            queue.extend(_Failure(-1, "http", http_status=status) for _ in range(times))

    def slow_down(self, path: str, seconds: float) -> None:
        """Every call to `path` waits `seconds` before answering (timeouts, races)."""
        with self.lock:
            self._delays[_normalise(path)] = seconds

    def expire_token_now(self) -> None:
        """Alias kept short for tests of 42001 handling."""
        self.expire_tokens()

    # --- Org chart controls -------------------------------------------------------------------

    def set_user(self, userid: str, **fields: Any) -> dict[str, Any]:
        """Create or change one member; `department` etc. as in user/get."""
        with self.lock:
            user = self.users.get(userid)
            if user is None:
                departments = fields.get("department", [1])
                user = _user(userid, fields.get("name", userid), departments,
                             [0] * len(departments), [], "")  # fmt: skip
                self.users[userid] = user
            user.update(fields)
            if "department" in fields:
                user.setdefault("is_leader_in_dept", [])
                user["is_leader_in_dept"] = (user["is_leader_in_dept"] + [0] * 99)[
                    : len(fields["department"])
                ]
                user["order"] = [0] * len(fields["department"])
                user["main_department"] = fields.get("main_department", fields["department"][0])
            return copy.deepcopy(user)

    def remove_user(self, userid: str) -> None:
        with self.lock:
            self.users.pop(userid, None)

    def add_oauth_code(
        self,
        code: str,
        *,
        userid: str = "",
        openid: str = "",
        external_userid: str = "",
        user_ticket: str = "",
    ) -> None:
        """Register a one-time OAuth code that auth/getuserinfo resolves."""
        identity = {"userid": userid, "openid": openid, "external_userid": external_userid}
        if user_ticket:
            identity["user_ticket"] = user_ticket
        with self.lock:
            self.oauth_codes[code] = {key: value for key, value in identity.items() if value}

    def call_count(self, path: str) -> int:
        path = _normalise(path)
        with self.lock:
            return sum(1 for call in self.calls if call.path == path)

    def calls_to(self, path: str) -> list[Call]:
        path = _normalise(path)
        with self.lock:
            return [call for call in self.calls if call.path == path]

    def messages_to(self, userid: str) -> list[dict[str, Any]]:
        with self.lock:
            return [message for message in self.messages if userid in message["recipients"]]

    def reset(self) -> None:
        """Forget recorded calls and messages (tokens and org chart stay)."""
        with self.lock:
            self.calls.clear()
            self.messages.clear()
            self._failures.clear()
            self._recent_bodies.clear()
            self._delays.clear()

    # --- Protocol -----------------------------------------------------------------------------

    # --- Browser pages (OAuth authorize, web-login QR) ----------------------------------------

    def handle_page(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, str], str]:
        """(status, headers, html) for the sign-in pages a browser is sent to."""
        with self.lock:
            self.calls.append(Call("GET", path, dict(params)))
        if path == "/connect/oauth2/authorize":
            if params.get("appid") != self.corp_id:
                return 200, {}, _page("参数错误", "appid 不正确 (errcode 40013)")
            if not params.get("redirect_uri", "").startswith("http"):
                return 200, {}, _page("参数错误", "redirect_uri 不正确")
            if not self.client_userid:
                return 200, {}, _page("请在企业微信客户端打开链接", "")
            code = self.issue_code(self.client_userid, scope=params.get("scope", ""))
            return 302, {"Location": _with_query(params["redirect_uri"], code, params)}, ""
        if path == "/wwlogin/sso/login":
            if params.get("appid") != self.corp_id or str(params.get("agentid")) != self.agent_id:
                return 200, {}, _page("参数错误", "appid 或 agentid 不正确")
            redirect_uri = html.escape(params.get("redirect_uri", ""))
            state = html.escape(params.get("state", ""))
            options = "".join(
                f'<option value="{html.escape(u)}">{html.escape(user["name"])}</option>'
                for u, user in sorted(self.users.items())
            )
            body = (
                f"<h1>企业微信扫码登录</h1><div class='qr'>[QR]</div>"
                f"<form method='get' action='/wwlogin/sso/confirm'>"
                f"<input type='hidden' name='redirect_uri' value='{redirect_uri}'>"
                f"<input type='hidden' name='state' value='{state}'>"
                f"<label>扫码的人 <select name='userid'>{options}</select></label>"
                f"<button type='submit'>确认登录</button></form>"
            )  # fmt: skip
            return 200, {}, _page("企业微信扫码登录", body, raw=True)
        if path == "/wwlogin/sso/confirm":
            userid = params.get("userid", "")
            if userid not in self.users:
                return 200, {}, _page("扫码失败", "不是本企业成员")
            code = self.issue_code(userid)
            return 302, {"Location": _with_query(params.get("redirect_uri", ""), code, params)}, ""
        return 404, {}, _page("404", path)

    def issue_code(self, userid: str, *, scope: str = "") -> str:
        """A one-time code for `userid`, as the authorize page or a QR scan would hand out."""
        code = "code-" + secrets.token_urlsafe(12)
        identity = {"userid": userid}
        if scope in ("snsapi_privateinfo", "snsapi_userinfo"):
            identity["user_ticket"] = "uticket-" + secrets.token_urlsafe(12)
        with self.lock:
            self.oauth_codes[code] = identity
            if "user_ticket" in identity:
                self.user_tickets[identity["user_ticket"]] = userid
        return code

    # --- Callbacks pushed to Andon -------------------------------------------------------------

    def push_callback(
        self,
        url: str,
        xml: str,
        *,
        timestamp: int | None = None,
        token: str = CALLBACK_TOKEN,
        aes_key: str = CALLBACK_AES_KEY,
    ) -> httpx.Response:
        """POST `xml` to Andon's callback URL the way WeCom does: encrypted, signed."""
        params, body = encrypted_callback(
            xml,
            token=token,
            aes_key=aes_key,
            corp_id=self.corp_id,
            timestamp=str(int(time.time()) if timestamp is None else timestamp),
        )
        return httpx.post(url, params=params, content=body.encode("utf-8"), timeout=10,
                          headers={"Content-Type": "text/xml"})  # fmt: skip

    def external_contact_xml(self, change_type: str, userid: str, external_userid: str) -> str:
        return wecom_external.external_contact_event_xml(
            self.corp_id, change_type, userid=userid, external_userid=external_userid
        )

    def external_chat_xml(self, change_type: str, chat_id: str, update_detail: str = "") -> str:
        return wecom_external.external_chat_event_xml(
            self.corp_id, change_type, chat_id=chat_id, update_detail=update_detail
        )

    def user_change_xml(self, change_type: str, userid: str) -> str:
        """A change_contact create_user / update_user / delete_user for the member as now."""
        if change_type == "delete_user":
            return contact_event_xml(self.corp_id, "delete_user", UserID=userid)
        user = self.users[userid]
        return contact_event_xml(
            self.corp_id,
            change_type,
            UserID=userid,
            Name=user["name"],
            Department=",".join(str(d) for d in user["department"]),
            MainDepartment=str(user.get("main_department", user["department"][0])),
            IsLeaderInDept=",".join(str(v) for v in user.get("is_leader_in_dept", [])),
            DirectLeader=",".join(user.get("direct_leader", [])),
            Position=user.get("position", ""),
            Mobile=user.get("mobile", ""),
            Email=user.get("email", ""),
            Status=str(user.get("status", 1)),
        )

    # --- Protocol -----------------------------------------------------------------------------

    def handle(
        self, method: str, path: str, params: dict[str, str], raw_body: bytes
    ) -> tuple[int, dict[str, Any]]:
        path = _normalise(path)
        delay = self._delays.get(path)
        if delay:
            time.sleep(delay)  # outside the lock, so concurrent callers overlap
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = raw_body
        with self.lock:
            self.calls.append(Call(method, path, dict(params), body))
            route = _ROUTES.get(path)
            if route is None:
                return 404, {"errcode": 404, "errmsg": f"unknown api {path}"}
            expected_method, handler, needs_token = route
            if method != expected_method:
                return 405, {"errcode": 405, "errmsg": "method not allowed"}
            if needs_token:
                error = self._check_token(params.get("access_token", ""))
                if error:
                    return 200, error
            failures = self._failures.get(path)
            if failures:
                failure = failures.pop(0)
                if failure.http_status != 200:
                    return failure.http_status, {"error": "injected"}
                return 200, {"errcode": failure.errcode, "errmsg": failure.errmsg}
            return 200, handler(self, params, body)

    def _check_token(self, token: str) -> dict[str, Any] | None:
        if not token:
            return _err(41001, "access_token missing")
        expiry = self.tokens.get(token)
        if expiry is None:
            return _err(40014, "invalid access_token")
        if expiry <= time.time():
            return _err(42001, "access_token expired")
        return None

    def _gettoken(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        if params.get("corpid") != self.corp_id:
            return _err(40013, "invalid corpid")
        if params.get("corpsecret") != self.secret:
            return _err(40001, "invalid credential")
        now = time.time()
        # Like WeCom: while a token is valid, asking again returns the same token.
        for token, expiry in self.tokens.items():
            if expiry > now:
                return {**_ok(), "access_token": token, "expires_in": int(expiry - now)}
        token = "tok-" + secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_ttl
        return {**_ok(), "access_token": token, "expires_in": self.token_ttl}

    def _message_send(self, _params: dict[str, str], body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return _err(47001, "data format error")
        if str(body.get("agentid", "")) != str(self.agent_id):
            return _err(40056, "invalid agentid")
        msgtype = body.get("msgtype")
        if msgtype not in MESSAGE_TYPES:
            return _err(40008, "invalid message type")
        content = body.get(msgtype)
        if not isinstance(content, dict) or any(
            not content.get(name) for name in MESSAGE_TYPES[msgtype]
        ):
            return _err(44004, f"empty {msgtype} content")
        recipients = [user for user in str(body.get("touser") or "").split("|") if user]
        if not recipients and not body.get("toparty") and not body.get("totag"):
            return _err(40031, "invalid userid list")
        invalid = [user for user in recipients if user not in self.users]
        valid = [user for user in recipients if user in self.users]
        if not valid:
            error = _err(81013, "user & party & tag all invalid")
            return {**error, "invaliduser": "|".join(invalid)}
        self._msg_seq += 1
        msgid = f"msg-{self._msg_seq:06d}"
        if not self._is_duplicate(body):
            self.messages.append({**body, "msgid": msgid, "recipients": valid})
        return {
            **_ok(),
            "invaliduser": "|".join(invalid),
            "invalidparty": "",
            "invalidtag": "",
            "unlicenseduser": "",
            "msgid": msgid,
        }

    def _is_duplicate(self, body: dict[str, Any]) -> bool:
        if not body.get("enable_duplicate_check"):
            return False
        interval = int(body.get("duplicate_check_interval") or 1800)
        key = json.dumps(body, sort_keys=True, ensure_ascii=False)
        now = time.time()
        seen = self._recent_bodies.get(key)
        if seen is not None and now - seen < interval:
            return True
        self._recent_bodies[key] = now
        return False

    def _department_list(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        if not params.get("id"):
            return {**_ok(), "department": copy.deepcopy(self.departments)}
        root = _int(params["id"])
        if root not in {dept["id"] for dept in self.departments}:
            return _err(60123, "invalid party id")
        wanted, frontier = {root}, [root]
        while frontier:
            children = [d["id"] for d in self.departments if d["parentid"] in frontier]
            frontier = [child for child in children if child not in wanted]
            wanted.update(frontier)
        subtree = [dept for dept in self.departments if dept["id"] in wanted]
        return {**_ok(), "department": copy.deepcopy(subtree)}

    def _user_list(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        department_id = _int(params.get("department_id", ""))
        if department_id not in {dept["id"] for dept in self.departments}:
            return _err(60003, "department not found")
        members = [u for u in self.users.values() if department_id in u["department"]]
        # Paged like user/list_id: `cursor` is the offset of the next page, `limit` its size.
        start = _int(params.get("cursor") or "0") or 0
        limit = min(_int(params.get("limit") or "") or self.page_size, self.page_size)
        page = members[start : start + limit]
        answer = {**_ok(), "userlist": copy.deepcopy(page)}
        if start + limit < len(members):
            answer["next_cursor"] = str(start + limit)
        return answer

    def _agent_get(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        if str(params.get("agentid", "")) != str(self.agent_id):
            return _err(40056, "invalid agentid")
        return {
            **_ok(),
            "agentid": int(self.agent_id),
            "name": "Andon",
            "allow_userinfos": {"user": [{"userid": u} for u in self.visible_users]},
            "allow_partys": {"partyid": list(self.visible_parties)},
            "allow_tags": {"tagid": list(self.visible_tags)},
            "close": 0,
            "home_url": "",
        }

    def _tag_get(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        tag = self.tags.get(_int(params.get("tagid", "")) or -1)
        if tag is None:
            return _err(40068, "invalid tagid")
        return {
            **_ok(),
            "tagname": tag.get("name", ""),
            "userlist": [{"userid": u, "name": u} for u in tag.get("users", [])],
            "partylist": list(tag.get("parties", [])),
        }

    def _auth_getuserdetail(self, _params: dict[str, str], body: Any) -> dict[str, Any]:
        ticket = body.get("user_ticket", "") if isinstance(body, dict) else ""
        userid = self.user_tickets.get(ticket)
        if userid is None or userid not in self.users:
            return _err(40129, "invalid user_ticket")
        user = self.users[userid]
        return {**_ok(), "userid": userid, "mobile": user.get("mobile", ""),
                "email": user.get("email", ""), "gender": user.get("gender", "0"),
                "avatar": user.get("avatar", "")}  # fmt: skip

    def _user_get(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        user = self.users.get(params.get("userid", ""))
        if user is None:
            return _err(60111, "userid not found")
        return {**_ok(), **copy.deepcopy(user)}

    def _auth_getuserinfo(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        identity = self.oauth_codes.pop(params.get("code", ""), None)  # codes are single-use
        if identity is None:
            return _err(40029, "invalid code")
        return {**_ok(), **identity}

    def _get_jsapi_ticket(self, _params: dict[str, str], _body: Any) -> dict[str, Any]:
        return {**_ok(), "ticket": self.jsapi_ticket, "expires_in": self.ticket_ttl}

    def _ticket_get(self, params: dict[str, str], _body: Any) -> dict[str, Any]:
        if params.get("type") != "agent_config":
            return _err(40004, "invalid type")
        return {**_ok(), "ticket": self.agent_ticket, "expires_in": self.ticket_ttl}


_ROUTES = {
    "/cgi-bin/gettoken": ("GET", FakeWeCom._gettoken, False),
    "/cgi-bin/message/send": ("POST", FakeWeCom._message_send, True),
    "/cgi-bin/department/list": ("GET", FakeWeCom._department_list, True),
    "/cgi-bin/user/list": ("GET", FakeWeCom._user_list, True),
    "/cgi-bin/user/get": ("GET", FakeWeCom._user_get, True),
    "/cgi-bin/auth/getuserinfo": ("GET", FakeWeCom._auth_getuserinfo, True),
    "/cgi-bin/auth/getuserdetail": ("POST", FakeWeCom._auth_getuserdetail, True),
    "/cgi-bin/agent/get": ("GET", FakeWeCom._agent_get, True),
    "/cgi-bin/tag/get": ("GET", FakeWeCom._tag_get, True),
    "/cgi-bin/get_jsapi_ticket": ("GET", FakeWeCom._get_jsapi_ticket, True),
    "/cgi-bin/ticket/get": ("GET", FakeWeCom._ticket_get, True),
    **wecom_external.ROUTES,
}


_PAGES = ("/connect/oauth2/authorize", "/wwlogin/sso/login", "/wwlogin/sso/confirm")


def _page(title: str, body: str, *, raw: bool = False) -> str:
    content = body if raw else f"<p>{html.escape(body)}</p>"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body>{content}</body></html>"
    )


def _with_query(url: str, code: str, params: dict[str, str]) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}{urlencode({'code': code, 'state': params.get('state', '')})}"


def _ok() -> dict[str, Any]:
    return {"errcode": 0, "errmsg": "ok"}


def _err(errcode: int, errmsg: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": f"{errmsg}, hint: [fake-{secrets.token_hex(4)}]"}


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _normalise(path: str) -> str:
    path = "/" + path.lstrip("/")
    return path if path.startswith("/cgi-bin/") else "/cgi-bin" + path


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: FakeWeCom) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop kept-alive connections, so a stopped server really is unreachable."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle + delayed ACK add ~40 ms.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = {
            key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        }
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        app: FakeWeCom = self.server.app
        if parts.path in _PAGES:
            status, headers, page = app.handle_page(parts.path, params)
            data = page.encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        status, payload = app.handle(method, parts.path, params, raw_body)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines carry access tokens; tests should not print them.
        pass


class WXBizMsgCrypt:
    """WeCom's callback encryption, written from the published scheme for this test server only
    (Andon's own implementation is andon/wecom/crypto.py; tests make each decrypt the other).

    AES key = base64(EncodingAESKey + "="); AES-256-CBC, IV = key[:16]; plaintext = 16 random
    bytes, the message length (4 bytes, network order), the message, the corp id; PKCS#7 padding
    to 32 bytes. The signature is SHA1 over the sorted token, timestamp, nonce and ciphertext.
    """

    BLOCK = 32

    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.corp_id = corp_id.encode("utf-8")

    def sign(self, timestamp: str, nonce: str, encrypted: str) -> str:
        joined = "".join(sorted([self.token, timestamp, nonce, encrypted]))
        return hashlib.sha1(joined.encode("utf-8")).hexdigest()

    def encrypt(self, text: str) -> str:
        message = text.encode("utf-8")
        plain = os.urandom(16) + struct.pack("!I", len(message)) + message + self.corp_id
        amount = self.BLOCK - (len(plain) % self.BLOCK)
        plain += bytes([amount]) * amount
        encryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> str:
        decryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).decryptor()
        plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
        plain = plain[: -plain[-1]]
        (length,) = struct.unpack("!I", plain[16:20])
        if plain[20 + length :] != self.corp_id:
            raise ValueError("corp id mismatch")
        return plain[20 : 20 + length].decode("utf-8")


def encrypted_callback(
    xml: str,
    *,
    token: str = CALLBACK_TOKEN,
    aes_key: str = CALLBACK_AES_KEY,
    corp_id: str = CORP_ID,
    timestamp: str | None = None,
    nonce: str = "n0nce42",
) -> tuple[dict[str, str], str]:
    """The query parameters and body WeCom would POST to our callback URL for `xml`."""
    crypto = WXBizMsgCrypt(token, aes_key, corp_id)
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    encrypted = crypto.encrypt(xml)
    body = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    params = {
        "msg_signature": crypto.sign(timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    return params, body


# The name older tests use.
signed_callback = encrypted_callback


def contact_event_xml(corp_id: str, change_type: str, **fields: str) -> str:
    """A change_contact event as WeCom sends it (CreateTime now, empty fields left out)."""
    parts = [
        f"<ToUserName><![CDATA[{corp_id}]]></ToUserName>",
        "<FromUserName><![CDATA[sys]]></FromUserName>",
        f"<CreateTime>{int(time.time())}</CreateTime>",
        "<MsgType><![CDATA[event]]></MsgType>",
        "<Event><![CDATA[change_contact]]></Event>",
        f"<ChangeType><![CDATA[{change_type}]]></ChangeType>",
    ]
    parts += [f"<{name}><![CDATA[{value}]]></{name}>" for name, value in fields.items() if value]
    # A nonce keeps two otherwise identical events (a move there and back) distinct.
    parts.append(f"<AndonTestNonce>{secrets.token_hex(4)}</AndonTestNonce>")
    return "<xml>" + "".join(parts) + "</xml>"


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                    "all_proxy")  # fmt: skip


@pytest.fixture
def wecom_server(settings, monkeypatch) -> Iterator[FakeWeCom]:
    """A running FakeWeCom; WECOM_API_BASE, _OAUTH_BASE, _LOGIN_BASE, _CORP_ID, _AGENT_ID,
    _SECRET point at it.

    Also sets the callback token and EncodingAESKey (CALLBACK_TOKEN, CALLBACK_AES_KEY).
    """
    for name in _PROXY_VARIABLES:  # a proxy from the environment must not capture 127.0.0.1
        monkeypatch.delenv(name, raising=False)
    server = FakeWeCom().start()
    settings.WECOM_API_BASE = server.base_url
    settings.WECOM_CORP_ID = server.corp_id
    settings.WECOM_AGENT_ID = server.agent_id
    settings.WECOM_SECRET = server.secret
    settings.WECOM_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.WECOM_CALLBACK_AES_KEY = CALLBACK_AES_KEY
    settings.WECOM_OAUTH_BASE = server.base_url
    settings.WECOM_LOGIN_BASE = server.base_url
    try:
        yield server
    finally:
        server.stop()
