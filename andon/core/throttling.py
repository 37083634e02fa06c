"""Rate limits on one shared cache (Redis when REDIS_URL is set, the database otherwise), so every
web process counts the same requests. One fixed-window counter serves pages and the API.

Rates are "N/period": period is s, m, h or d, optionally with a count ("5/15m"). They live in
settings.ANDON_THROTTLE_RATES, keyed by scope; an empty rate switches a scope off.
"""

from __future__ import annotations

import hashlib
import math
import re
import time

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import BaseThrottle

from andon.core.cache import count as shared_counter

CACHE_ALIAS = "throttle"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$")


def parse_rate(rate: str) -> tuple[int, int] | None:
    """(requests, seconds), or None for an empty rate."""
    if not rate:
        return None
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"bad rate {rate!r}: expected N/period such as 10/m or 5/15m")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNITS[unit]


def client_ip(request) -> str:
    """The caller's address: REMOTE_ADDR, or the proxy's X-Forwarded-For entry behind one."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def hit(scope: str, ident: str, *, now: float | None = None) -> int | None:
    """Count one request by `ident` in `scope`. Returns None while under the limit, else the
    seconds until the window ends (for Retry-After)."""
    parsed = parse_rate(settings.ANDON_THROTTLE_RATES.get(scope, ""))
    if parsed is None:
        return None
    limit, period = parsed
    now = time.time() if now is None else now
    window = int(now // period)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    key = f"andon:rate:{scope}:{window}:{digest}"
    count = shared_counter(caches[CACHE_ALIAS], key, period + 1)
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


def too_many_requests(request, retry_after: int, message: str | None = None) -> HttpResponse:
    """The 429 page for pages and form posts (the API's comes from DRF's Throttled)."""
    response = render(
        request,
        "429.html",
        {"message": message or _("请求太频繁"), "retry_after": retry_after},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


class ScopedThrottle(BaseThrottle):
    """A DRF throttle on `hit`; subclasses name the scope and who is counted."""

    scope = ""

    def ident(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        ident = self.ident(request, view)
        self.retry_after = hit(self.scope, ident) if ident is not None else None
        return self.retry_after is None

    def wait(self):
        return self.retry_after


class PerUserThrottle(ScopedThrottle):
    """Every API request: per signed-in user, or per address for anonymous callers."""

    def allow_request(self, request, view) -> bool:
        self.scope = "user" if request.user and request.user.is_authenticated else "anon"
        return super().allow_request(request, view)

    def ident(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_ip(request)}"


class PostByAddressThrottle(ScopedThrottle):
    """POSTs to a sensitive endpoint, per address; the view sets `throttle_scope_address`."""

    def ident(self, request, view) -> str | None:
        if request.method != "POST":
            return None
        self.scope = view.throttle_scope_address
        return client_ip(request)


class PostByAccountThrottle(ScopedThrottle):
    """POSTs naming an account (`username` in the body), per account; the view sets
    `throttle_scope_account`."""

    def ident(self, request, view) -> str | None:
        if request.method != "POST":
            return None
        self.scope = view.throttle_scope_account
        username = request.data.get("username") if hasattr(request.data, "get") else None
        return str(username).strip().lower()[:150] if username else None


class AssistantThrottle(ScopedThrottle):
    scope = "assistant"

    def ident(self, request, view) -> str | None:
        return f"user:{request.user.pk}" if request.user.is_authenticated else None
