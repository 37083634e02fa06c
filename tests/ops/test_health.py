"""/healthz and /readyz: anonymous, secret-free, and red for each thing that is down."""

import signal
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from andon.ola.models import OlaTimer
from andon.ops import services
from andon.ops.models import WorkerHeartbeat
from tests import factories
from tests.ops.conftest import child_env
from tests.processes import start_worker, wait_for

pytestmark = pytest.mark.django_db


def beat(*, seconds_ago: float = 0, periodic: bool = True, name: str = "host-a:1"):
    now = timezone.now()
    return services.record_heartbeat(
        name=name,
        hostname="host-a",
        pid=1,
        periodic=periodic,
        started_at=now - timedelta(hours=1),
        now=now - timedelta(seconds=seconds_ago),
    )


def readyz(client=None, **headers):
    response = (client or Client()).get("/readyz", **headers)
    return response.status_code, response.json()


def test_healthz_answers_anyone_with_nothing_but_ok():
    response = Client().get("/healthz", HTTP_HOST="10.1.2.3")  # a probe by IP: no ALLOWED_HOSTS
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_probes_serve_get_and_head_only():
    client = Client()
    for path in ("/healthz", "/readyz"):
        head = client.head(path)
        assert head.status_code == client.get(path).status_code
        assert head.content == b""
        for method in ("POST", "OPTIONS", "DELETE", "TRACE"):
            assert client.generic(method, path).status_code == 405, (path, method)


def test_ready_when_everything_is_up():
    beat()
    status, body = readyz()
    assert status == 200, body
    assert body == {
        "status": "ok",
        "failing": [],
        "checks": {
            "database": "ok",
            "migrations": "ok",
            "cache": "ok",
            "storage": "ok",
            "worker": "ok",
            "ola": "ok",
        },
    }


def test_not_ready_without_any_worker():
    status, body = readyz(HTTP_HOST="10.1.2.3")
    assert status == 503
    assert body["failing"] == ["worker"]
    assert "andon worker" in body["checks"]["worker"]


def test_not_ready_when_the_last_heartbeat_is_older_than_a_minute():
    beat(seconds_ago=61)
    status, body = readyz()
    assert status == 503 and body["failing"] == ["worker"]
    assert "61" in body["checks"]["worker"]


def test_not_ready_without_the_periodic_worker():
    beat(periodic=False)
    status, body = readyz()
    assert status == 503 and body["failing"] == ["worker"]
    assert "--no-periodic" in body["checks"]["worker"]


def overdue_timer(*, ticket, queue, seconds: float) -> OlaTimer:
    now = timezone.now()
    return OlaTimer.objects.create(
        ticket=ticket,
        queue=queue,
        metric="response",
        policy={},
        target_seconds=3600,
        started_at=now - timedelta(hours=1),
        next_action_at=now - timedelta(seconds=seconds),
        created_at=now - timedelta(hours=1),
    )


def test_overdue_ola_steps_are_reported(queue, entry, requester, handlers):
    beat()
    ticket = factories.make_ticket(actor=requester, entry=entry)
    overdue_timer(ticket=ticket, queue=queue, seconds=30)  # late, but within the minute
    assert readyz()[0] == 200
    overdue_timer(ticket=ticket, queue=queue, seconds=90)
    status, body = readyz()
    assert status == 503 and body["failing"] == ["ola"]
    assert body["checks"]["ola"] == "Unavailable: 1 OLA step(s) overdue by more than a minute"


def test_cache_and_storage_failures_are_named_without_details(settings, tmp_path):
    beat()
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:hunter2-cache-password@127.0.0.1:1/0",
        },
    }
    status, body = readyz()
    assert status == 503
    assert body["failing"] == ["cache", "storage"]
    text = str(body)
    assert "hunter2" not in text and "127.0.0.1" not in text and str(tmp_path) not in text


def test_config_home_says_when_no_worker_is_seen():
    admin = factories.admin()
    client = Client()
    client.force_login(admin)
    page = client.get("/config/").content.decode()
    assert "从未收到后台 worker 的心跳" in page
    beat()
    page = client.get("/config/").content.decode()
    assert "心跳" not in page


@pytest.mark.django_db(transaction=True)
def test_readyz_follows_a_real_worker(settings, tmp_path):
    """A real `andon worker` beats; readiness is green while it runs, red once it stops, and
    red again once a killed worker's last heartbeat is older than the stale window."""
    settings.ANDON_WORKER_STALE_SECONDS = 3
    env = child_env(tmp_path, ANDON_WORKER_HEARTBEAT_SECONDS="0.5")
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        assert wait_for(lambda: readyz()[0] == 200, 60), (readyz(), log.read_text())
        worker.send_signal(signal.SIGINT)  # a clean stop removes its row at once
        worker.wait(30)
        assert WorkerHeartbeat.objects.count() == 0, log.read_text()
        assert readyz()[1]["failing"] == ["worker"]

        worker = start_worker(env, log)
        assert wait_for(lambda: readyz()[0] == 200, 60), log.read_text()
        worker.kill()  # SIGKILL: the row stays, and goes stale
        worker.wait(10)
        assert WorkerHeartbeat.objects.count() == 1
        assert wait_for(lambda: readyz()[0] == 503, 10)
        assert readyz()[1]["failing"] == ["worker"]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
