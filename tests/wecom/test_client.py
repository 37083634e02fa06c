import hashlib
import logging
import pickle
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from andon.wecom.client import (
    SentMessage,
    WeComClient,
    WeComError,
    WeComNotConfigured,
    WeComRateLimited,
    WeComTransportError,
    js_sdk_signature,
    redact,
)
from andon.wecom.models import AccessToken
from tests.wecom_server import AGENT_ID, CORP_ID, SECRET

SEND = "/cgi-bin/message/send"
GETTOKEN = "/cgi-bin/gettoken"


def stored_token(kind=AccessToken.KIND_ACCESS_TOKEN):
    return AccessToken.objects.get(corp_id=CORP_ID, agent_id=AGENT_ID, kind=kind)


# --- Access token cache ---------------------------------------------------------------------


def test_one_gettoken_serves_many_sends(wecom, wecom_server):
    for n in range(5):
        wecom.send_text(["wangwu"], f"第 {n} 条")
    assert wecom_server.call_count(GETTOKEN) == 1
    assert wecom_server.call_count(SEND) == 5
    assert len(wecom_server.messages) == 5
    row = stored_token()
    sent_with = {call.params["access_token"] for call in wecom_server.calls_to(SEND)}
    assert sent_with == {row.token}
    # Valid for 7200 s at WeCom; we stop trusting it five minutes early.
    assert row.expires_at - row.refresh_at == timedelta(minutes=5)
    assert timedelta(seconds=7190) < row.expires_at - timezone.now() <= timedelta(seconds=7200)


def test_a_second_client_reuses_the_token_stored_in_the_database(wecom_server, db):
    with WeComClient() as first:
        first.send_text(["lisi"], "one")
    with WeComClient() as second:  # as a second web or worker process would
        second.send_text(["lisi"], "two")
        second.list_departments()
    assert wecom_server.call_count(GETTOKEN) == 1
    tokens = {call.params["access_token"] for call in wecom_server.calls if call.path != GETTOKEN}
    assert tokens == {stored_token().token}


def test_the_database_not_process_memory_is_the_cache(wecom, wecom_server):
    wecom.send_text(["lisi"], "one")
    AccessToken.objects.all().delete()
    wecom.send_text(["lisi"], "two")
    assert wecom_server.call_count(GETTOKEN) == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_processes_refresh_the_token_once(wecom_server):
    if connection.vendor != "postgresql":
        pytest.skip("the refresh lock is a PostgreSQL row lock")
    wecom_server.slow_down(GETTOKEN, 0.3)  # so the six callers really overlap
    start, tokens, errors = threading.Barrier(6), [], []

    def worker():
        try:
            start.wait()
            with WeComClient() as client:
                tokens.append(client.access_token())
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread has its own database connection

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(tokens) == 6 and len(set(tokens)) == 1
    assert wecom_server.call_count(GETTOKEN) == 1


def test_expired_token_42001_is_refreshed_and_the_call_retried(wecom, wecom_server):
    wecom.send_text(["lisi"], "before")
    old_token = stored_token().token
    wecom_server.expire_tokens()

    result = wecom.send_text(["lisi"], "after")

    assert result.msgid
    assert wecom_server.call_count(GETTOKEN) == 2
    attempts = wecom_server.calls_to(SEND)
    assert [call.params["access_token"] == old_token for call in attempts] == [True, True, False]
    assert [m["text"]["content"] for m in wecom_server.messages] == ["before", "after"]
    assert stored_token().token != old_token


def test_invalid_token_40014_is_refreshed_and_the_call_retried(wecom, wecom_server):
    wecom.get_user("lisi")
    wecom_server.revoke_tokens()  # e.g. the secret was reset in the admin console
    assert wecom.get_user("wangwu")["name"] == "王五"
    assert wecom_server.call_count(GETTOKEN) == 2


def test_a_token_rejected_twice_is_retried_only_once(wecom, wecom_server):
    wecom.access_token()
    wecom_server.inject_error(SEND, 42001, "access_token expired", times=2)
    with pytest.raises(WeComError) as exc:
        wecom.send_text(["lisi"], "x")
    assert exc.value.errcode == 42001
    assert wecom_server.call_count(SEND) == 2
    assert wecom_server.messages == []


def test_token_is_refreshed_five_minutes_before_it_expires(wecom, wecom_server):
    wecom.send_text(["lisi"], "one")
    now = timezone.now()
    AccessToken.objects.update(expires_at=now + timedelta(minutes=4), refresh_at=now)
    wecom.send_text(["lisi"], "two")
    assert wecom_server.call_count(GETTOKEN) == 2
    assert stored_token().refresh_at > now + timedelta(hours=1)


def test_a_failed_refresh_uses_the_cached_token_until_it_really_expires(wecom, wecom_server):
    wecom.send_text(["lisi"], "one")
    now = timezone.now()
    AccessToken.objects.update(expires_at=now + timedelta(minutes=4), refresh_at=now)
    wecom_server.inject_error(GETTOKEN, -1, "system busy")
    wecom.send_text(["lisi"], "two")
    assert len(wecom_server.messages) == 2

    AccessToken.objects.update(expires_at=now, refresh_at=now)
    wecom_server.inject_error(GETTOKEN, -1, "system busy")
    with pytest.raises(WeComError) as exc:
        wecom.send_text(["lisi"], "three")
    assert exc.value.errcode == -1
    assert exc.value.retryable


def test_wrong_secret_is_reported_not_retried(wecom_server, db):
    with WeComClient(secret="not-the-secret") as client, pytest.raises(WeComError) as exc:
        client.send_text(["lisi"], "x")
    assert exc.value.errcode == 40001
    assert exc.value.api == "gettoken"
    assert not exc.value.retryable
    assert wecom_server.call_count(GETTOKEN) == 1
    assert wecom_server.call_count(SEND) == 0


def test_missing_configuration_fails_before_any_request(wecom_server, db, settings):
    settings.WECOM_SECRET = ""
    with WeComClient() as client, pytest.raises(WeComNotConfigured, match="WECOM_SECRET"):
        client.send_text(["lisi"], "x")
    settings.WECOM_SECRET = SECRET
    settings.WECOM_AGENT_ID = ""
    with WeComClient() as client, pytest.raises(WeComNotConfigured, match="WECOM_AGENT_ID"):
        client.send_text(["lisi"], "x")
    assert wecom_server.calls == []


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("errcode", [45009, 45033, 45047])
def test_rate_limits_raise_wecom_rate_limited(wecom, wecom_server, errcode):
    wecom_server.rate_limit(1, errcode=errcode)
    with pytest.raises(WeComRateLimited) as exc:
        wecom.send_text_card(["lisi"], "标题", "描述", "https://andon.test/t/1")
    assert exc.value.errcode == errcode
    assert "freq" in exc.value.errmsg
    assert exc.value.retryable
    assert isinstance(exc.value, WeComError)
    wecom.send_text_card(["lisi"], "标题", "描述", "https://andon.test/t/1")
    assert len(wecom_server.messages) == 1


def test_business_errors_are_plain_wecom_errors(wecom, wecom_server):
    with pytest.raises(WeComError) as exc:
        wecom.send_text(["nobody", "ghost"], "x")
    assert type(exc.value) is WeComError
    assert exc.value.errcode == 81013
    assert exc.value.api == "message/send"
    assert "81013" in str(exc.value)


def test_http_failures_and_unreachable_server_are_transport_errors(wecom, wecom_server):
    wecom.access_token()
    wecom_server.inject_http_status(SEND, 502)
    with pytest.raises(WeComTransportError) as exc:
        wecom.send_text(["lisi"], "x")
    assert exc.value.status_code == 502
    assert exc.value.retryable

    wecom_server.slow_down("/cgi-bin/user/get", 1.0)
    with WeComClient(timeout=0.2) as impatient, pytest.raises(WeComTransportError) as exc:
        impatient.get_user("lisi")
    assert "timed out" in str(exc.value)

    wecom_server.stop()
    with pytest.raises(WeComTransportError) as exc:
        wecom.send_text(["lisi"], "x")
    assert "could not reach WeCom" in str(exc.value)


def test_errors_survive_pickling():
    for error in (
        WeComError(60111, "userid not found", api="user/get"),
        WeComRateLimited(45009, "api freq out of limit", api="message/send"),
        WeComTransportError("HTTP 502", api="message/send", status_code=502),
        WeComNotConfigured("WeCom is not configured: WECOM_SECRET is empty"),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert (copy.errcode, copy.errmsg, copy.api, str(copy)) == (
            error.errcode,
            error.errmsg,
            error.api,
            str(error),
        )
        assert copy.retryable == error.retryable
    assert pickle.loads(pickle.dumps(WeComTransportError("x", status_code=504))).status_code == 504


# --- Messages --------------------------------------------------------------------------------


def test_text_card_body_as_received_by_wecom(wecom, wecom_server):
    result = wecom.send_text_card(
        ["lisi", "wangwu", "lisi", "ghost"],
        "事件单 AD-1042 即将超时",
        '<div class="gray">L2 · 网络故障</div><div class="highlight">剩余 10 分钟</div>',
        "https://andon.test/tickets/AD-1042",
    )
    (call,) = wecom_server.calls_to(SEND)
    assert call.method == "POST"
    assert call.body == {
        "touser": "lisi|wangwu|ghost",
        "msgtype": "textcard",
        "agentid": int(AGENT_ID),
        "textcard": {
            "title": "事件单 AD-1042 即将超时",
            "description": '<div class="gray">L2 · 网络故障</div>'
            '<div class="highlight">剩余 10 分钟</div>',
            "url": "https://andon.test/tickets/AD-1042",
            "btntxt": "详情",
        },
    }
    assert isinstance(result, SentMessage)
    assert result.msgid == wecom_server.messages[0]["msgid"]
    assert result.invalid_users == ["ghost"]
    assert wecom_server.messages[0]["recipients"] == ["lisi", "wangwu"]


def test_text_message_and_duplicate_check(wecom, wecom_server):
    wecom.send_text(["wangwu"], "你好", safe=True, duplicate_check_interval=600)
    wecom.send_text(["wangwu"], "你好", safe=True, duplicate_check_interval=600)
    first, second = (call.body for call in wecom_server.calls_to(SEND))
    assert first == second
    assert first["safe"] == 1
    assert first["enable_duplicate_check"] == 1
    assert first["duplicate_check_interval"] == 600
    assert len(wecom_server.messages_to("wangwu")) == 1  # WeCom dropped the repeat


def test_recipients_are_validated_before_any_request(wecom, wecom_server):
    with pytest.raises(TypeError):
        wecom.send_text("lisi", "x")
    with pytest.raises(ValueError):
        wecom.send_text(["", "  "], "x")
    with pytest.raises(ValueError):
        wecom.send_text([f"u{n}" for n in range(1001)], "x")
    assert wecom_server.calls == []


# --- Org chart, OAuth ------------------------------------------------------------------------


def test_org_chart_calls(wecom, wecom_server):
    departments = {dept["id"]: dept for dept in wecom.list_departments()}
    assert set(departments) == {1, 2, 3, 4}
    assert departments[3]["parentid"] == 2
    assert departments[2]["department_leader"] == ["zhangsan"]
    assert {dept["id"] for dept in wecom.list_departments(2)} == {2, 3}

    members = {user["userid"]: user for user in wecom.list_department_users(3)}
    assert set(members) == {"lisi", "wangwu"}
    assert members["wangwu"]["direct_leader"] == ["lisi"]
    assert members["lisi"]["is_leader_in_dept"] == [1, 0]

    lisi = wecom.get_user("lisi")
    assert lisi["name"] == "李四"
    assert lisi["direct_leader"] == ["zhangsan"]
    assert "errcode" not in lisi
    assert wecom_server.calls_to("/cgi-bin/user/list")[0].params["department_id"] == "3"

    with pytest.raises(WeComError) as exc:
        wecom.get_user("ghost")
    assert exc.value.errcode == 60111
    with pytest.raises(WeComError) as exc:
        wecom.list_department_users(999)
    assert exc.value.errcode == 60003


def test_oauth_user_info(wecom, wecom_server):
    wecom_server.add_oauth_code("CODE-MEMBER", userid="wangwu", user_ticket="UT-1")
    wecom_server.add_oauth_code("CODE-GUEST", openid="oGuest", external_userid="wmExt")

    member = wecom.oauth_user_info("CODE-MEMBER")
    assert member.is_member
    assert (member.userid, member.user_ticket) == ("wangwu", "UT-1")
    assert "UT-1" not in repr(member)

    guest = wecom.oauth_user_info("CODE-GUEST")
    assert not guest.is_member
    assert (guest.openid, guest.external_userid) == ("oGuest", "wmExt")

    with pytest.raises(WeComError) as exc:  # codes are single-use
        wecom.oauth_user_info("CODE-MEMBER")
    assert exc.value.errcode == 40029


# --- JS-SDK ----------------------------------------------------------------------------------


def test_js_sdk_signature_matches_an_independent_computation():
    ticket = (
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg"
    )
    noncestr, timestamp = "Wm3WZYTPz0wzccnW", 1414587457
    url = "http://mp.weixin.qq.com?params=value"
    string1 = f"jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    expected = hashlib.sha1(string1.encode()).hexdigest()

    assert js_sdk_signature(url, ticket, noncestr, timestamp) == expected
    # The worked example in WeCom's JS-SDK signature documentation gives this value.
    assert expected == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    # The fragment is not part of the signed URL; the client exposes the same function.
    assert WeComClient.js_sdk_signature(url + "#/ticket/1", ticket, noncestr, str(timestamp)) == (
        expected
    )


def test_jsapi_tickets_are_cached_and_config_is_signed(wecom, wecom_server):
    url = "https://andon.test/sidebar/?chat=1#top"
    config = wecom.js_sdk_config(url)
    wecom.js_sdk_config(url)
    assert wecom.jsapi_ticket() == wecom_server.jsapi_ticket
    assert wecom.agent_jsapi_ticket() == wecom_server.agent_ticket
    assert wecom_server.call_count("/cgi-bin/get_jsapi_ticket") == 1
    assert wecom_server.call_count("/cgi-bin/ticket/get") == 1
    assert wecom_server.calls_to("/cgi-bin/ticket/get")[0].params["type"] == "agent_config"
    assert stored_token(AccessToken.KIND_JSAPI_TICKET).token == wecom_server.jsapi_ticket

    page = "https://andon.test/sidebar/?chat=1"
    corp, agent = config["config"], config["agent_config"]
    assert corp["corpid"] == CORP_ID and agent["agentid"] == int(AGENT_ID)
    for part, ticket in ((corp, wecom_server.jsapi_ticket), (agent, wecom_server.agent_ticket)):
        plain = (
            f"jsapi_ticket={ticket}&noncestr={part['nonceStr']}"
            f"&timestamp={part['timestamp']}&url={page}"
        )
        assert part["signature"] == hashlib.sha1(plain.encode()).hexdigest()


# --- Secrets stay out of logs -----------------------------------------------------------------


def test_tokens_and_secrets_are_redacted_from_logs(wecom, wecom_server, caplog):
    caplog.set_level(logging.DEBUG)
    wecom_server.add_oauth_code("OAUTH-CODE-123", userid="lisi")
    wecom.send_text(["lisi"], "hello")
    wecom.oauth_user_info("OAUTH-CODE-123")
    wecom_server.inject_error(SEND, 45009, "api freq out of limit")
    with pytest.raises(WeComRateLimited) as exc:
        wecom.send_text(["lisi"], "hello")
    token = stored_token().token

    assert "HTTP Request" in caplog.text  # httpx did log its request lines…
    assert "access_token=***" in caplog.text  # …with the token redacted
    for secret in (token, SECRET, "OAUTH-CODE-123"):
        assert secret not in caplog.text
        assert secret not in str(exc.value)
    assert token not in repr(stored_token())


def test_redact():
    assert redact("https://x/cgi-bin/gettoken?corpid=ww1&corpsecret=S3CR3T") == (
        "https://x/cgi-bin/gettoken?corpid=ww1&corpsecret=***"
    )
    assert redact("/a?access_token=abc&userid=lisi&code=xyz") == (
        "/a?access_token=***&userid=lisi&code=***"
    )
    assert redact("my_access_token=1 ACCESS_TOKEN=Q") == "my_access_token=1 ACCESS_TOKEN=***"
