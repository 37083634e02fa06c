import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from andon.wecom import crypto
from andon.wecom.crypto import CallbackCrypto, parse_xml
from andon.wecom.errors import (
    WeComCallbackError,
    WeComNotConfigured,
    WeComReceiverError,
    WeComSignatureError,
)
from tests.wecom_server import CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID

TIMESTAMP, NONCE = "1732400000", "n0nce42"


@pytest.fixture
def box():
    return CallbackCrypto(CALLBACK_TOKEN, CALLBACK_AES_KEY, CORP_ID)


def aes_encrypt_raw(plain: bytes, encoding_aes_key: str = CALLBACK_AES_KEY) -> str:
    """AES-256-CBC straight from the primitive: key from EncodingAESKey, IV = key[:16]."""
    key = base64.b64decode(encoding_aes_key + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def pad32(data: bytes) -> bytes:
    n = 32 - len(data) % 32
    return data + bytes([n]) * n


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


# --- A fixed vector, built step by step ------------------------------------------------------

MESSAGE = (
    "<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6a7b]]></ToUserName>"
    "<Content><![CDATA[你好]]></Content></xml>"
)
PREFIX = b"0123456789abcdef"
EXPECTED_ENCRYPT = (
    "Q3stYC6hdFzMh9T8HCvyDEQXfsAOq3Pa7smZZKzCR07btyyD1J+TpHCIBXuZa42F8IHSmjt3Nzi2UcaUHka/EzYcZo9X"
    "Exo1QblDCdUvAlAOFmefXzn/q6r9xHXOI0BstMKyGFaIZaPg7LKdJf7zSOejJnVYY8NFucobSZ5VMBy7+f67XvJmpLAN"
    "8E8Nr6U5iTtsJDUGT1vlARj6FKd2kw=="
)
EXPECTED_SIGNATURE = "69f060282cc110d0ed3e4335d152918759bc337e"


def test_fixed_vector_from_primitives(box):
    # 1. AESKey = base64decode(EncodingAESKey + "="), 32 bytes.
    key = base64.b64decode(CALLBACK_AES_KEY + "=")
    assert len(key) == 32
    # 2. plaintext = 16 random bytes + 4-byte big-endian length + msg + receiveid.
    body = MESSAGE.encode("utf-8")
    plain = PREFIX + struct.pack(">I", len(body)) + body + CORP_ID.encode()
    assert len(plain) == 16 + 4 + len(body) + len(CORP_ID)
    # 3. PKCS#7 to a multiple of 32 bytes (141 bytes -> 19 bytes of 0x13).
    padded = pad32(plain)
    assert len(padded) % 32 == 0 and padded[-19:] == bytes([19]) * 19
    # 4. AES-256-CBC with IV = key[:16], then base64.
    encrypted = aes_encrypt_raw(padded)
    assert encrypted == EXPECTED_ENCRYPT
    # 5. msg_signature = sha1 of the sorted, concatenated token/timestamp/nonce/encrypt.
    assert sign(CALLBACK_TOKEN, TIMESTAMP, NONCE, encrypted) == EXPECTED_SIGNATURE

    assert box.encrypt(MESSAGE, random_prefix=PREFIX) == EXPECTED_ENCRYPT
    assert box.signature(TIMESTAMP, NONCE, EXPECTED_ENCRYPT) == EXPECTED_SIGNATURE
    assert box.decrypt(EXPECTED_ENCRYPT) == MESSAGE
    body_xml = f"<xml><Encrypt><![CDATA[{EXPECTED_ENCRYPT}]]></Encrypt></xml>"
    assert box.decrypt_message(EXPECTED_SIGNATURE, TIMESTAMP, NONCE, body_xml) == MESSAGE


# --- Round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["", "1234567890", "x" * 31, "y" * 32, MESSAGE * 20])
def test_encrypt_then_decrypt(box, message):
    encrypted = box.encrypt(message)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert box.decrypt(encrypted) == message
    assert box.encrypt(message) != encrypted  # a fresh random prefix every time


def test_verify_url(box, settings, db):
    echostr = box.encrypt("4216931473952874651")
    signature = sign(CALLBACK_TOKEN, TIMESTAMP, NONCE, echostr)
    assert box.verify_url(signature, TIMESTAMP, NONCE, echostr) == "4216931473952874651"
    assert box.verify_url(signature.upper(), TIMESTAMP, NONCE, echostr) == "4216931473952874651"

    settings.WECOM_CORP_ID = CORP_ID
    settings.WECOM_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.WECOM_CALLBACK_AES_KEY = CALLBACK_AES_KEY
    assert crypto.verify_url(signature, TIMESTAMP, NONCE, echostr) == "4216931473952874651"


def test_encrypt_reply_is_a_signed_envelope(box):
    reply = "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到]]></Content></xml>"
    envelope = parse_xml(box.encrypt_reply(reply, timestamp=TIMESTAMP, nonce="abc123"))
    assert envelope["TimeStamp"] == TIMESTAMP and envelope["Nonce"] == "abc123"
    assert envelope["MsgSignature"] == sign(
        CALLBACK_TOKEN, TIMESTAMP, "abc123", envelope["Encrypt"]
    )
    assert box.decrypt(envelope["Encrypt"]) == reply


# --- Rejections -----------------------------------------------------------------------------


def test_wrong_signature(box):
    echostr = box.encrypt("hello")
    with pytest.raises(WeComSignatureError) as exc:
        box.verify_url("0" * 40, TIMESTAMP, NONCE, echostr)
    assert exc.value.status == 403
    with pytest.raises(WeComSignatureError):  # signed for another nonce
        box.verify_url(sign(CALLBACK_TOKEN, TIMESTAMP, "other", echostr), TIMESTAMP, NONCE, echostr)
    with pytest.raises(WeComSignatureError):
        box.verify_url("", TIMESTAMP, NONCE, echostr)
    other_token = CallbackCrypto("another-token", CALLBACK_AES_KEY, CORP_ID)
    with pytest.raises(WeComSignatureError):
        box.verify_url(other_token.signature(TIMESTAMP, NONCE, echostr), TIMESTAMP, NONCE, echostr)


def test_wrong_receiveid(box):
    other_corp = CallbackCrypto(CALLBACK_TOKEN, CALLBACK_AES_KEY, "wwsomeoneelse")
    with pytest.raises(WeComReceiverError) as exc:
        box.decrypt(other_corp.encrypt("<xml/>"))
    assert exc.value.status == 403


def test_bad_padding(box):
    body = b"<xml/>"
    plain = PREFIX + struct.pack(">I", len(body)) + body + CORP_ID.encode()
    filler = 32 - len(plain) % 32
    for tail in (bytes([0]) * filler, bytes([33]) * filler, b"\x01" * (filler - 1) + b"\x05"):
        with pytest.raises(WeComCallbackError, match="padding"):
            box.decrypt(aes_encrypt_raw(plain + tail))


def test_wrong_key_is_rejected_cleanly(box):
    stranger = CallbackCrypto(CALLBACK_TOKEN, "Z" * 42 + "A", CORP_ID)
    for n in range(20):
        with pytest.raises(WeComCallbackError):
            box.decrypt(stranger.encrypt(f"<xml><N>{n}</N></xml>"))


def test_inconsistent_length_field(box):
    body = b"<xml/>"
    plain = PREFIX + struct.pack(">I", 5000) + body + CORP_ID.encode()
    with pytest.raises(WeComCallbackError, match="length"):
        box.decrypt(aes_encrypt_raw(pad32(plain)))
    with pytest.raises(WeComCallbackError, match="too short"):
        box.decrypt(aes_encrypt_raw(pad32(b"short")))


@pytest.mark.parametrize(
    "encrypted", ["", "not base64!", base64.b64encode(b"x" * 17).decode(), "QUJD"]
)
def test_garbage_ciphertext(box, encrypted):
    with pytest.raises(WeComCallbackError):
        box.decrypt(encrypted)


def test_decrypt_message_needs_an_encrypt_element(box):
    with pytest.raises(WeComCallbackError, match="no Encrypt"):
        box.decrypt_message("sig", TIMESTAMP, NONCE, "<xml><ToUserName>x</ToUserName></xml>")
    with pytest.raises(WeComCallbackError, match="malformed"):
        box.decrypt_message("sig", TIMESTAMP, NONCE, "<xml><Encrypt>")


def test_configuration_is_checked():
    with pytest.raises(WeComNotConfigured, match="43"):
        CallbackCrypto(CALLBACK_TOKEN, "short", CORP_ID)
    with pytest.raises(WeComNotConfigured, match="base64"):
        CallbackCrypto(CALLBACK_TOKEN, "!" * 43, CORP_ID)
    with pytest.raises(WeComNotConfigured, match="WECOM_CALLBACK_TOKEN"):
        CallbackCrypto("", CALLBACK_AES_KEY, CORP_ID)
    assert CALLBACK_AES_KEY not in repr(CallbackCrypto(CALLBACK_TOKEN, CALLBACK_AES_KEY, CORP_ID))


# --- XML ------------------------------------------------------------------------------------


def test_parse_xml_shapes():
    message = parse_xml(
        "<xml><MsgType><![CDATA[event]]></MsgType><Content><![CDATA[ a <b> & c ]]></Content>"
        "<ExtAttr><Item><Name>爱好</Name><Value>旅游</Value></Item>"
        "<Item><Name>工号</Name><Value>007</Value></Item></ExtAttr>"
        "<IsLeaderInDept>1,0</IsLeaderInDept><Empty></Empty></xml>".encode()
    )
    assert message == {
        "MsgType": "event",
        "Content": " a <b> & c ",
        "ExtAttr": {"Item": [{"Name": "爱好", "Value": "旅游"}, {"Name": "工号", "Value": "007"}]},
        "IsLeaderInDept": "1,0",
        "Empty": "",
    }


@pytest.mark.parametrize(
    "document",
    [
        # Billion laughs: refused before any expansion.
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        "<xml><Encrypt>&b;</Encrypt></xml>",
        # External entity.
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt></xml>',
        '<!DOCTYPE xml SYSTEM "http://example.invalid/x.dtd"><xml><Encrypt>x</Encrypt></xml>',
        "<xml><Encrypt>&undefined;</Encrypt></xml>",
        "<xml>text only</xml>",
        "not xml at all",
        "",
    ],
)
def test_parse_xml_refuses_dtds_and_garbage(document):
    with pytest.raises(WeComCallbackError):
        parse_xml(document)


# --- against the test server's own WXBizMsgCrypt ---------------------------------------------


@pytest.mark.parametrize("message", ["<xml><A>1</A></xml>", "中文 ✓ " * 40, "x"])
def test_the_test_servers_implementation_and_ours_read_each_other(box, message):
    from tests.wecom_server import WXBizMsgCrypt

    theirs = WXBizMsgCrypt(CALLBACK_TOKEN, CALLBACK_AES_KEY, CORP_ID)
    assert box.decrypt(theirs.encrypt(message)) == message
    assert theirs.decrypt(box.encrypt(message)) == message
    encrypted = theirs.encrypt(message)
    assert theirs.sign(TIMESTAMP, NONCE, encrypted) == box.signature(TIMESTAMP, NONCE, encrypted)
