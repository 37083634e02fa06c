"""Probes answer before the rest of the stack: a load balancer asks by IP address (no
ALLOWED_HOSTS name) and over plain HTTP (no SSL redirect), and needs no session or language."""

from __future__ import annotations

from asgiref.sync import async_to_sync

from andon.ops import views

PROBES = {"/healthz": views.healthz, "/readyz": async_to_sync(views.readyz)}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        return self.get_response(request)
