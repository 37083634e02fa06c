import time
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from andon.wecom.crypto import CallbackCrypto
from andon.wecom.models import CallbackEvent
from tests.wecom_server import CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID, signed_callback

pytestmark = [
    pytest.mark.urls("tests.wecom.urls"),
    pytest.mark.usefixtures("callback_settings"),
    pytest.mark.django_db,
]

URL = "/wecom/callback/"

CHANGE_CONTACT = (
    "<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6a7b]]></ToUserName>"
    "<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1732400000</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_contact]]></Event>"
    "<ChangeType>update_user</ChangeType><UserID><![CDATA[wangwu]]></UserID>"
    "<Department><![CDATA[3]]></Department><DirectLeader><![CDATA[lisi]]></DirectLeader>"
    "</xml>"
)


def now() -> str:
    return str(int(time.time()))


def box():
    return CallbackCrypto(CALLBACK_TOKEN, CALLBACK_AES_KEY, CORP_ID)


def post(client, xml, **overrides):
    params, body = signed_callback(xml)
    params.update(overrides)
    return client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")


def test_url_is_mounted_under_wecom():
    assert reverse("wecom:callback") == URL


def test_get_echoes_the_decrypted_echostr(client):
    echostr = box().encrypt("5925327362163284537")
    signature = box().signature(now(), "abc", echostr)
    response = client.get(
        URL, {"msg_signature": signature, "timestamp": now(), "nonce": "abc", "echostr": echostr}
    )
    assert response.status_code == 200
    assert response.content == b"5925327362163284537"  # exactly, no quotes or newline
    assert response["Content-Type"].startswith("text/plain")


def test_get_with_a_bad_signature_is_403(client):
    echostr = box().encrypt("5925327362163284537")
    response = client.get(
        URL, {"msg_signature": "f" * 40, "timestamp": now(), "nonce": "abc", "echostr": echostr}
    )
    assert response.status_code == 403
    assert response.content.decode() == "WeCom callback rejected: invalid msg_signature"
    assert b"5925327362163284537" not in response.content


def test_get_without_parameters_is_400(client):
    response = client.get(URL, {"msg_signature": "x", "timestamp": now()})
    assert response.status_code == 400
    assert "missing query parameter: nonce" in response.content.decode()


def test_post_records_the_event_once(client):
    csrf_client = Client(enforce_csrf_checks=True)  # the signature, not a CSRF token, vouches
    response = post(csrf_client, CHANGE_CONTACT)
    assert response.status_code == 200
    assert response.content == b"success"

    event = CallbackEvent.objects.get()
    assert (event.msg_type, event.event, event.change_type) == (
        "event",
        "change_contact",
        "update_user",
    )
    assert event.from_user == "sys"
    assert event.payload["UserID"] == "wangwu"
    assert event.payload["DirectLeader"] == "lisi"
    assert event.object_key == "user:wangwu"
    assert event.state == CallbackEvent.State.PENDING

    # WeCom re-posts when it got no answer in time: still "success", still one row.
    assert post(client, CHANGE_CONTACT).content == b"success"
    assert CallbackEvent.objects.count() == 1


@pytest.mark.parametrize("skew", [-301, 301, 3600])
def test_a_stale_timestamp_is_refused(client, skew):
    params, body = signed_callback(CHANGE_CONTACT, timestamp=str(int(time.time()) + skew))
    response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 403
    assert response.content.decode().startswith("WeCom callback rejected: stale timestamp")
    assert not CallbackEvent.objects.exists()


def test_a_timestamp_within_five_minutes_is_accepted(client):
    params, body = signed_callback(CHANGE_CONTACT, timestamp=str(int(time.time()) - 290))
    response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 200
    assert CallbackEvent.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "status", "text"),
    [
        ({"msg_signature": "0" * 40}, 403, "invalid msg_signature"),
        ({"nonce": "tampered"}, 403, "invalid msg_signature"),
        ({"timestamp": ""}, 400, "missing query parameter: timestamp"),
        ({"timestamp": "soon"}, 400, "timestamp is not a number"),
    ],
)
def test_post_with_a_bad_request_is_rejected(client, overrides, status, text):
    response = post(client, CHANGE_CONTACT, **overrides)
    assert response.status_code == status
    assert response.content.decode() == f"WeCom callback rejected: {text}"
    assert not CallbackEvent.objects.exists()


def test_post_for_another_corp_is_403(client):
    other = CallbackCrypto(CALLBACK_TOKEN, CALLBACK_AES_KEY, "wwsomeoneelse")
    encrypted = other.encrypt(CHANGE_CONTACT)
    params = {
        "msg_signature": other.signature(now(), "n", encrypted),
        "timestamp": now(),
        "nonce": "n",
    }
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 403
    assert "receiveid" in response.content.decode()
    assert not CallbackEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        "",
        "<xml><Encrypt>",
        "<xml><ToUserName>x</ToUserName></xml>",
        '<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
    ],
)
def test_post_with_a_malformed_body_is_400(client, body):
    params = {"msg_signature": "x", "timestamp": now(), "nonce": "n"}
    response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 400
    assert response.content.decode().startswith("WeCom callback rejected: ")


def test_post_whose_plaintext_is_not_xml_is_400(client):
    crypto = box()
    encrypted = crypto.encrypt("definitely not xml")
    params = {
        "msg_signature": crypto.signature(now(), "n", encrypted),
        "timestamp": now(),
        "nonce": "n",
    }
    body = f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    response = client.post(f"{URL}?{urlencode(params)}", data=body, content_type="text/xml")
    assert response.status_code == 400
    assert not CallbackEvent.objects.exists()


def test_other_methods_are_405(client):
    assert client.put(URL).status_code == 405


def test_not_configured_is_503(client, settings):
    settings.WECOM_CALLBACK_AES_KEY = ""
    response = client.get(
        URL, {"msg_signature": "x", "timestamp": "1", "nonce": "n", "echostr": "e"}
    )
    assert response.status_code == 503
    assert response.content.decode() == "WeCom callback is not configured"
