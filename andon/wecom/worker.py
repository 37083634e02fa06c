"""The port to the worker for WeCom: the callback pipeline and the org chart sync queue their
work through here. WecomConfig.ready() hands over the Huey tasks (the tasks module imports the
services that queue, so those services cannot import it back)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

_process_callbacks: Any = None  # the Huey task process_callbacks_task(object_key)
_run_sync: Callable[[int], Any] | None = None  # run_sync_task(run_id)


def use_tasks(*, process_callbacks, run_sync) -> None:
    global _process_callbacks, _run_sync
    _process_callbacks, _run_sync = process_callbacks, run_sync


def queue_callbacks(object_key: str, eta: datetime | None = None) -> None:
    """Have the worker process this object's pending callbacks (now, or at `eta`). Without a
    worker port the per-minute sweep finds them."""
    if _process_callbacks is None:
        return
    if eta is None:
        _process_callbacks(object_key)
    else:
        _process_callbacks.schedule((object_key,), eta=eta)


def queue_sync(run_id: int) -> None:
    if _run_sync is not None:
        _run_sync(run_id)
