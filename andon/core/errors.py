"""Errors raised by services. The API and the web UI translate them into one consistent shape."""

from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, detail: str, *, code: str | None = None, errors: dict | None = None):
        super().__init__(detail)
        self.detail = str(detail)
        if code:
            self.code = code
        self.errors = errors or {}


class ValidationFailed(ServiceError):
    status_code = 400
    code = "invalid"


class PermissionDenied(ServiceError):
    status_code = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Conflict(ServiceError):
    """The request is valid but the object's current state does not allow it (HTTP 409)."""

    status_code = 409
    code = "conflict"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"
