"""Prometheus metrics at /metrics (prometheus-client).

Request latency is measured in each web process; under `andon serve` (several gunicorn
workers) the processes share it through prometheus-client's multiprocess files in
PROMETHEUS_MULTIPROC_DIR, so any one scrape sees all of them. Everything about the desk itself
(tickets, outbox, OLA, callbacks, workers) is counted from the database at scrape time, so it is
the same whichever process answers and survives restarts."""

from __future__ import annotations

import hmac
import math
import os

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from andon.notifications.models import Channel, OutboxMessage
from andon.ops import selectors
from andon.wecom.models import CallbackEvent

REQUEST_SECONDS = Histogram(
    "andon_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def observe_request(*, view: str, method: str, status: int, seconds: float) -> None:
    # Unrouted paths (404s of scanners) share one label, so they cannot grow the series.
    REQUEST_SECONDS.labels(view or "unrouted", method, str(status)).observe(seconds)


class DeskCollector:
    """Counts from the database, read once per scrape."""

    def collect(self):
        gauges = selectors.desk_gauges()
        created = CounterMetricFamily("andon_tickets_created", "Tickets filed, ever.")
        created.add_metric([], gauges.tickets_created)
        yield created
        resolved = CounterMetricFamily(
            "andon_tickets_resolved", "Tickets resolved (resolved_at set), ever."
        )
        resolved.add_metric([], gauges.tickets_resolved)
        yield resolved
        unfinished = GaugeMetricFamily(
            "andon_tickets_open", "Tickets not yet done, closed or cancelled."
        )
        unfinished.add_metric([], gauges.tickets_open)
        yield unfinished
        outbox = GaugeMetricFamily(
            "andon_outbox_messages",
            "Outbox messages waiting to be sent (pending) or given up on (dead), by channel.",
            labels=["channel", "state"],
        )
        for channel in Channel.values:
            for state in (OutboxMessage.State.PENDING, OutboxMessage.State.DEAD):
                outbox.add_metric([channel, state], gauges.outbox.get((channel, state), 0))
        yield outbox
        due = GaugeMetricFamily("andon_ola_steps_due", "OLA steps whose time has come.")
        due.add_metric([], gauges.ola_due)
        yield due
        late = GaugeMetricFamily(
            "andon_ola_steps_late", "OLA steps overdue by more than the worker stale window."
        )
        late.add_metric([], gauges.ola_late)
        yield late
        callbacks = GaugeMetricFamily(
            "andon_wecom_callback_events",
            "WeCom callback events waiting (pending) or failed for good (dead).",
            labels=["state"],
        )
        for state in (CallbackEvent.State.PENDING, CallbackEvent.State.DEAD):
            callbacks.add_metric([state], gauges.callbacks.get(state, 0))
        yield callbacks
        age = GaugeMetricFamily(
            "andon_worker_heartbeat_age_seconds",
            "Seconds since the newest worker heartbeat (NaN: none ever).",
        )
        worker_age = gauges.worker.age_seconds
        age.add_metric([], math.nan if worker_age is None else worker_age)
        yield age
        alive = GaugeMetricFamily(
            "andon_workers_alive", "Worker processes seen within the stale window."
        )
        alive.add_metric([], gauges.worker.alive)
        yield alive


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessLocal())
    registry.register(DeskCollector())
    return registry


class _ProcessLocal:
    """This process's own metrics (request latency), outside multiprocess mode."""

    def collect(self):
        yield from REGISTRY.collect()


def _authorized(request) -> bool:
    token = settings.ANDON_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


def metrics_view(request):
    """Off (404) until ANDON_METRICS_TOKEN is set; then `Authorization: Bearer <token>`."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not settings.ANDON_METRICS_TOKEN:
        return HttpResponseNotFound("metrics are off: set ANDON_METRICS_TOKEN", "text/plain")
    if not _authorized(request):
        response = HttpResponse("unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="andon-metrics"'
        return response
    response = HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    if request.method == "HEAD":
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response
