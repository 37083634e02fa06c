"""The first middlewares: a request id (and a latency sample) for every request, then the
probes and the metrics endpoint.

Probes answer before the rest of the stack: a load balancer asks by IP address (no
ALLOWED_HOSTS name) and over plain HTTP (no SSL redirect), and needs no session or language."""

from __future__ import annotations

import logging
import re
import time
import uuid

from asgiref.sync import async_to_sync

from andon.ops import metrics, views
from andon.ops.logs import request_id_var

access_log = logging.getLogger("andon.request")

# An id from the proxy (nginx's $request_id) or the client is kept when it looks like one.
_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

PROBES = {
    "/healthz": views.healthz,
    "/readyz": async_to_sync(views.readyz),
    "/metrics": metrics.metrics_view,
}


class RequestIdMiddleware:
    """Every log line written while the request runs carries its id; the response sends it back
    as X-Request-ID; one line per request says method, path (never the query string, which can
    hold a token), status, time and view; its time goes into the latency histogram."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match else ""
            seconds = time.perf_counter() - started
            duration_ms = round(seconds * 1000, 1)
            if request.path_info not in PROBES:
                metrics.observe_request(
                    view=view, method=request.method, status=response.status_code, seconds=seconds
                )
            # Probes run every few seconds: their lines only at DEBUG.
            level = logging.DEBUG if request.path_info in PROBES else logging.INFO
            access_log.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                response.status_code,
                duration_ms,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "view": view,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
