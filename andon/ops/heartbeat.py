"""Each worker process records a heartbeat every ANDON_WORKER_HEARTBEAT_SECONDS from a thread of
its own, started by Huey's on_startup hook (which runs only inside a consumer, never in web
processes or tests running tasks inline)."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading

from django.conf import settings
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from andon.ops import services

logger = logging.getLogger(__name__)

_started = threading.Lock()
_stop = threading.Event()
_thread: threading.Thread | None = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _schedules_periodic_jobs() -> bool:
    consumer = settings.HUEY.get("consumer", {}) if isinstance(settings.HUEY, dict) else {}
    return "--no-periodic" not in sys.argv and consumer.get("periodic", True)


def beat_once(*, name: str, periodic: bool, started_at) -> None:
    try:
        services.record_heartbeat(
            name=name,
            hostname=socket.gethostname(),
            pid=os.getpid(),
            periodic=periodic,
            started_at=started_at,
        )
    except Exception:  # a database blip must not kill the thread; the next beat retries
        logger.exception("worker heartbeat failed")
    finally:
        connection.close()


def _run(interval: float) -> None:
    name, periodic, started_at = worker_name(), _schedules_periodic_jobs(), timezone.now()
    logger.info("worker %s heartbeat every %gs (periodic jobs: %s)", name, interval, periodic)
    while not _stop.is_set():
        beat_once(name=name, periodic=periodic, started_at=started_at)
        _stop.wait(interval)


def start() -> bool:
    """Start the heartbeat thread once per process; True if this call started it."""
    global _thread
    if not _started.acquire(blocking=False):
        return False
    _stop.clear()
    _thread = threading.Thread(
        target=_run,
        args=(settings.ANDON_WORKER_HEARTBEAT_SECONDS,),
        name="andon-heartbeat",
        daemon=True,
    )
    _thread.start()
    return True


def stop() -> None:
    global _thread
    if _thread is None:
        return
    _stop.set()
    _thread.join(timeout=5)
    _thread = None
    try:
        services.forget_worker(name=worker_name())
    except Exception:
        logger.exception("could not remove this worker's heartbeat row")
    finally:
        connection.close()
        _started.release()


@HUEY.on_startup()
def _on_worker_startup() -> None:
    start()


@HUEY.on_shutdown()
def _on_worker_shutdown() -> None:
    stop()
