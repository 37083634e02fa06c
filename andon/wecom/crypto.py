"""WeCom callback verification and message encryption (企业微信 "加解密方案").

- msg_signature = SHA1 hex of the sorted, concatenated [token, timestamp, nonce, msg_encrypt].
- AESKey = base64decode(EncodingAESKey + "="), 32 bytes; AES-256-CBC with IV = AESKey[:16].
- Plaintext = 16 random bytes + msg length (4 bytes, big-endian) + msg + receiveid, padded with
  PKCS#7 to a multiple of 32 bytes; msg_encrypt is the base64 of the ciphertext.
- receiveid is the corp id for an internal application's callbacks.

Everything that can go wrong with a request raises WeComCallbackError (403 for a request that
cannot be shown to come from WeCom, 400 for a malformed one); the callback view turns that into a
short text answer, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import string
import struct
import time
from typing import Any
from xml.parsers import expat

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from andon.wecom.errors import (
    WeComCallbackError,
    WeComNotConfigured,
    WeComReceiverError,
    WeComSignatureError,
)

__all__ = [
    "CallbackCrypto",
    "WeComCallbackError",
    "callback_crypto",
    "decrypt_message",
    "encrypt_reply",
    "parse_xml",
    "verify_url",
]

PAD_BLOCK = 32
RANDOM_PREFIX_BYTES = 16
_LENGTH = struct.Struct(">I")


def _pkcs7_pad(data: bytes) -> bytes:
    pad = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([pad]) * pad


def _pkcs7_unpad(data: bytes) -> bytes:
    pad = data[-1] if data else 0
    if not 1 <= pad <= PAD_BLOCK or pad > len(data) or data[-pad:] != bytes([pad]) * pad:
        raise WeComCallbackError("bad padding: wrong EncodingAESKey or a corrupted message")
    return data[:-pad]


def _decode_aes_key(encoding_aes_key: str) -> bytes:
    if len(encoding_aes_key) != 43:
        raise WeComNotConfigured("WECOM_CALLBACK_AES_KEY must be the 43-character EncodingAESKey")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WeComNotConfigured("WECOM_CALLBACK_AES_KEY is not valid base64") from exc
    if len(key) != 32:  # pragma: no cover - 43 base64 characters always decode to 32 bytes
        raise WeComNotConfigured("WECOM_CALLBACK_AES_KEY does not decode to a 32-byte key")
    return key


def _nonce(length: int = 16) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class CallbackCrypto:
    """Signs, verifies, encrypts and decrypts callback payloads for one receiver."""

    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        missing = [
            name
            for name, value in (
                ("WECOM_CALLBACK_TOKEN", token),
                ("WECOM_CALLBACK_AES_KEY", encoding_aes_key),
                ("WECOM_CORP_ID", receive_id),
            )
            if not value
        ]
        if missing:
            raise WeComNotConfigured(f"WeCom callbacks are not configured: {', '.join(missing)}")
        self._token = token
        self._key = _decode_aes_key(encoding_aes_key)
        self._iv = self._key[:16]
        self._receive_id = receive_id.encode("utf-8")

    def __repr__(self) -> str:  # keys stay out of reprs
        return f"CallbackCrypto(receive_id={self._receive_id.decode()!r})"

    # --- Signature --------------------------------------------------------------------------

    def signature(self, timestamp: str | int, nonce: str, encrypted: str) -> str:
        parts = sorted([self._token, str(timestamp), str(nonce), encrypted])
        return hashlib.sha1("".join(parts).encode("utf-8")).hexdigest()

    def check_signature(
        self, msg_signature: str, timestamp: str | int, nonce: str, encrypted: str
    ) -> None:
        expected = self.signature(timestamp, nonce, encrypted)
        given = (msg_signature or "").strip().lower()
        if not given or not hmac.compare_digest(expected.encode(), given.encode()):
            raise WeComSignatureError("invalid msg_signature")

    # --- AES ----------------------------------------------------------------------------

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._iv))

    def encrypt(self, message: str, *, random_prefix: bytes | None = None) -> str:
        """msg_encrypt for `message` (base64 text). `random_prefix` is for fixed test vectors."""
        prefix = os.urandom(RANDOM_PREFIX_BYTES) if random_prefix is None else random_prefix
        if len(prefix) != RANDOM_PREFIX_BYTES:
            raise ValueError("the random prefix must be 16 bytes")
        body = message.encode("utf-8")
        plain = prefix + _LENGTH.pack(len(body)) + body + self._receive_id
        encryptor = self._cipher().encryptor()
        ciphertext = encryptor.update(_pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(ciphertext).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside msg_encrypt, after checking padding, length and receiveid."""
        try:
            ciphertext = base64.b64decode((encrypted or "").strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WeComCallbackError("the encrypted message is not valid base64") from exc
        if not ciphertext or len(ciphertext) % PAD_BLOCK:
            raise WeComCallbackError("the encrypted message has an invalid length")
        decryptor = self._cipher().decryptor()
        plain = _pkcs7_unpad(decryptor.update(ciphertext) + decryptor.finalize())
        header = RANDOM_PREFIX_BYTES + _LENGTH.size
        if len(plain) < header:
            raise WeComCallbackError("the decrypted message is too short")
        (length,) = _LENGTH.unpack_from(plain, RANDOM_PREFIX_BYTES)
        if header + length > len(plain):
            raise WeComCallbackError("the decrypted message length is inconsistent")
        message, receive_id = plain[header : header + length], plain[header + length :]
        if not hmac.compare_digest(receive_id, self._receive_id):
            raise WeComReceiverError("the message is addressed to another receiver (receiveid)")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WeComCallbackError("the decrypted message is not UTF-8") from exc

    # --- The three operations of the official scheme -------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): check the signature over echostr, return its plaintext."""
        self.check_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(
        self, msg_signature: str, timestamp: str, nonce: str, body: str | bytes
    ) -> str:
        """A callback POST body (<xml>…<Encrypt>…</Encrypt></xml>) → the plaintext XML."""
        envelope = parse_xml(body)
        encrypted = envelope.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted.strip():
            raise WeComCallbackError("the callback body has no Encrypt element")
        self.check_signature(msg_signature, timestamp, nonce, encrypted.strip())
        return self.decrypt(encrypted)

    def encrypt_reply(
        self, reply_xml: str, *, timestamp: str | int | None = None, nonce: str | None = None
    ) -> str:
        """A passive reply: `reply_xml` encrypted and signed, in WeCom's reply envelope."""
        nonce = nonce or _nonce()
        if not nonce.isalnum():
            raise ValueError("the nonce must be alphanumeric")
        timestamp = str(int(time.time()) if timestamp is None else int(timestamp))
        encrypted = self.encrypt(reply_xml)
        signature = self.signature(timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt>"
            f"<MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp>"
            f"<Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )


def callback_crypto() -> CallbackCrypto:
    """The CallbackCrypto configured by the callback token, EncodingAESKey and corp id (from the
    environment or /config/wecom/)."""
    from andon.wecom.config import current

    config = current()
    return CallbackCrypto(config.callback_token, config.callback_aes_key, config.corp_id)


def verify_url(msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
    return callback_crypto().verify_url(msg_signature, timestamp, nonce, echostr)


def decrypt_message(msg_signature: str, timestamp: str, nonce: str, body: str | bytes) -> str:
    return callback_crypto().decrypt_message(msg_signature, timestamp, nonce, body)


def encrypt_reply(
    reply_xml: str, *, timestamp: str | int | None = None, nonce: str | None = None
) -> str:
    return callback_crypto().encrypt_reply(reply_xml, timestamp=timestamp, nonce=nonce)


# --- XML --------------------------------------------------------------------------------------


def _refuse_dtd(*_args: object) -> None:
    raise WeComCallbackError("XML with a DOCTYPE or entity declarations is not accepted")


def parse_xml(data: str | bytes) -> dict[str, Any]:
    """The children of a WeCom XML document's root element, as a dict.

    Leaf elements become strings (CDATA or text, unchanged), elements with children become
    dicts, and repeated elements become lists. Attributes are ignored (WeCom does not use them).
    Any DOCTYPE, entity declaration or external entity is refused before anything is expanded.
    """
    # The encoding is fixed: WeCom sends UTF-8, and a declaration must not switch decoders.
    parser = expat.ParserCreate("utf-8")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_dtd
    top: dict[str, Any] = {}
    stack: list[tuple[str, dict[str, Any], list[str]]] = [("", top, [])]

    def start(name: str, _attrs: dict[str, str]) -> None:
        stack.append((name, {}, []))

    def end(_name: str) -> None:
        name, children, texts = stack.pop()
        value: Any = children if children else "".join(texts)
        parent = stack[-1][1]
        if name not in parent:
            parent[name] = value
        elif isinstance(parent[name], list):
            parent[name].append(value)
        else:
            parent[name] = [parent[name], value]

    def text(chunk: str) -> None:
        stack[-1][2].append(chunk)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        if isinstance(data, str):
            parser.Parse(data.encode("utf-8"), True)
        else:
            parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise WeComCallbackError(f"malformed XML ({expat.ErrorString(exc.code)})") from exc
    if len(top) != 1:
        raise WeComCallbackError("malformed XML (no root element)")
    root = next(iter(top.values()))
    if not isinstance(root, dict):
        raise WeComCallbackError("the XML root element has no fields")
    return root
