"""A local HTTP server that speaks the WeCom (企业微信) server API, for tests.

`FakeWeCom` runs a threaded `http.server` on 127.0.0.1 (random port) and answers the API paths the
product uses with WeCom's JSON shapes and errcodes: gettoken, message/send, department/list,
user/list, user/get, auth/getuserinfo, get_jsapi_ticket and ticket/get. Tests can expire tokens
(42001), inject errcodes (rate limits 45009/45033, 40014, -1 …) or HTTP failures, register OAuth
codes, and read back every message and call it received.

Use the `wecom_server` fixture: it starts a server, points the WECOM_* settings at it and stops it
afterwards. To use it outside tests/wecom, import it in a conftest:

    from tests.wecom_server import wecom_server  # noqa: F401
"""

from __future__ import annotations

import contextlib
import copy
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

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

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, float] = {}  # token -> expiry (epoch seconds)
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []  # accepted message/send bodies (+ "msgid")
        self.oauth_codes: dict[str, dict[str, str]] = {}
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
        return {**_ok(), "userlist": copy.deepcopy(members)}

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
    "/cgi-bin/get_jsapi_ticket": ("GET", FakeWeCom._get_jsapi_ticket, True),
    "/cgi-bin/ticket/get": ("GET", FakeWeCom._ticket_get, True),
}


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


def signed_callback(
    xml: str,
    *,
    token: str = CALLBACK_TOKEN,
    aes_key: str = CALLBACK_AES_KEY,
    corp_id: str = CORP_ID,
    timestamp: str = "1732400000",
    nonce: str = "n0nce42",
) -> tuple[dict[str, str], str]:
    """The query parameters and body WeCom would POST to our callback URL for `xml`."""
    from andon.wecom.crypto import CallbackCrypto

    crypto = CallbackCrypto(token, aes_key, corp_id)
    encrypted = crypto.encrypt(xml)
    body = (
        f"<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName>"
        f"<AgentID><![CDATA[{AGENT_ID}]]></AgentID>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    params = {
        "msg_signature": crypto.signature(timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    return params, body


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                    "all_proxy")  # fmt: skip


@pytest.fixture
def wecom_server(settings, monkeypatch) -> Iterator[FakeWeCom]:
    """A running FakeWeCom; WECOM_API_BASE, _CORP_ID, _AGENT_ID, _SECRET point at it.

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
    try:
        yield server
    finally:
        server.stop()
