"""gunicorn settings for `andon serve` (`--config python:andon.ops.gunicorn_conf`).

Logging: gunicorn's own lines go through Andon's handler (same format, secrets scrubbed); the
request lines come from andon.ops.middleware, which carries request ids and leaves query strings
out. Metrics: the worker processes share their request-latency samples through
prometheus-client's multiprocess files, in PROMETHEUS_MULTIPROC_DIR (a fresh temporary
directory unless it is set), emptied at start and cleaned of each worker that exits."""

import os
import shutil
import tempfile
from pathlib import Path

from andon.ops.logs import logging_config

logconfig_dict = logging_config()

_created_metrics_dir = False
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    _metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in _metrics_dir.glob("*.db"):  # samples of a previous run
        stale.unlink()
else:
    _metrics_dir = Path(tempfile.mkdtemp(prefix="andon-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)
    _created_metrics_dir = True


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _created_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)
