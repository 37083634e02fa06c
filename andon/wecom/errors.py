"""Typed errors for the WeCom server API and callbacks."""

from __future__ import annotations

# Errcodes that mean "the access token we sent is no longer good": get a new one and retry once.
TOKEN_INVALID_ERRCODES = frozenset({40001, 40014, 42001})
# Frequency limits (45009: API calls, 45033: concurrency, 45047: per-member message quota).
RATE_LIMIT_ERRCODES = frozenset({45009, 45033, 45047})
# -1 is "system busy, retry later".
BUSY_ERRCODES = frozenset({-1})


def _restore(cls: type[Exception], args: tuple, state: dict) -> Exception:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class _Picklable(Exception):
    # The constructors take keyword-only extras, so the default pickling (cls(*args)) would fail;
    # background tasks may need to pickle these errors.
    def __reduce__(self):
        return (_restore, (type(self), self.args, dict(self.__dict__)))


class WeComError(_Picklable):
    """WeCom answered with a non-zero errcode (or could not be reached: see WeComTransportError)."""

    def __init__(self, errcode: int, errmsg: str, *, api: str = ""):
        self.errcode = errcode
        self.errmsg = errmsg
        self.api = api
        where = f" ({api})" if api else ""
        super().__init__(f"WeCom error {errcode}{where}: {errmsg}")

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later without any change on our side."""
        return self.errcode in BUSY_ERRCODES or self.errcode in RATE_LIMIT_ERRCODES


class WeComRateLimited(WeComError):
    """WeCom refused the call because a frequency limit was reached; retry with backoff."""

    @property
    def retryable(self) -> bool:
        return True


class WeComTransportError(WeComError):
    """WeCom could not be reached, timed out, or answered something that is not its JSON."""

    def __init__(self, message: str, *, api: str = "", status_code: int | None = None):
        self.status_code = status_code
        super().__init__(-1, message, api=api)

    @property
    def retryable(self) -> bool:
        return True


class WeComNotConfigured(WeComError):
    """A WeCom setting the call needs (corp id, secret, agent id, callback keys) is empty."""

    def __init__(self, message: str):
        super().__init__(0, message)

    @property
    def retryable(self) -> bool:
        return False


class WeComCallbackError(_Picklable):
    """A callback request failed verification or could not be decrypted/parsed.

    `status` is the HTTP status the callback view answers with: 403 when the request cannot be
    proven to come from WeCom (bad signature, wrong receiver), 400 when it is malformed.
    """

    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class WeComSignatureError(WeComCallbackError):
    """msg_signature does not match: the request cannot be shown to come from WeCom."""

    status = 403


class WeComReceiverError(WeComCallbackError):
    """The message decrypted, but it is addressed to another corp (receiveid mismatch)."""

    status = 403
