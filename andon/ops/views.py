"""Probes: /healthz (liveness) and /readyz (readiness). Both are anonymous and reveal nothing
secret: check names and Andon's own short texts, never a host name, a query or a setting."""

from __future__ import annotations

import asyncio

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers

from andon.ops.health import readiness_checks

PROBE_METHODS = ("GET", "HEAD")


def _finish(request, response: HttpResponse) -> HttpResponse:
    add_never_cache_headers(response)
    if request.method == "HEAD":
        response.headers["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


def healthz(request):
    """200 while this process serves requests; touches nothing else."""
    if request.method not in PROBE_METHODS:
        return HttpResponseNotAllowed(PROBE_METHODS)
    return _finish(request, JsonResponse({"status": "ok"}))


async def readyz(request):
    """200 when every check passes, else 503 naming the failing checks."""
    if request.method not in PROBE_METHODS:
        return HttpResponseNotAllowed(PROBE_METHODS)
    checks = readiness_checks()
    results = await asyncio.gather(*(check.get_result() for _name, check, _own in checks))
    body: dict[str, str] = {}
    failing = []
    for (name, _check, own_text), result in zip(checks, results, strict=True):
        if result.error is None:
            body[name] = "ok"
            continue
        failing.append(name)
        body[name] = str(result.error) if own_text else result.error.message_type
    response = JsonResponse(
        {"status": "unavailable" if failing else "ok", "failing": failing, "checks": body},
        status=503 if failing else 200,
        json_dumps_params={"ensure_ascii": False},
    )
    # Django would log every 503 probe as an error; the body is the report.
    response._has_been_logged = True
    return _finish(request, response)
