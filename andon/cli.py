"""`andon …`: the one entry point for running Andon.

    andon run          development run: migrate, demo data on first start, web + worker
    andon serve        the web process (gunicorn + WhiteNoise)
    andon worker       a background worker (Huey consumer)
    andon migrate      apply database migrations
    andon demo         load the demo company (does nothing the second time)
    andon createadmin  create or update an administrator without prompts
    andon backup       database rows + attachments + manifest into one .tar.gz
    andon restore      restore such a backup into an empty database
    andon prune        prune the growing tables now (the worker does it daily)
    andon <anything>   any Django management command: `andon check --deploy`, `andon shell`, …

DJANGO_SETTINGS_MODULE defaults to andon.settings.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

USAGE = __doc__.split("\n\n", 1)[1]

STATIC_STAMP = ".andon-collected"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: andon COMMAND [options]\n\n" + USAGE + "\n`andon help` lists every command.")
        return 0
    command, rest = argv[0], argv[1:]
    if command == "serve":
        return serve(rest)
    if command == "worker":
        return worker(rest)
    if command == "run":
        return run(rest)
    return manage(argv)


def manage(argv: list[str]) -> int:
    """Pass through to Django's management commands (`migrate`, `demo`, `createadmin`, …)."""
    from django.core.management import execute_from_command_line

    execute_from_command_line(["andon", *argv])
    return 0


def _setup_django() -> None:
    import django

    django.setup()


# --- serve ----------------------------------------------------------------------------------


def _default_web_workers() -> int:
    return int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 8))


def _serve_parser(prog: str = "andon serve") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description="Run the Andon web process (gunicorn).")
    parser.add_argument("--host", default=os.environ.get("ANDON_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANDON_PORT", "8000")))
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: $WEB_CONCURRENCY or 2×CPU+1, at most 8)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("ANDON_WEB_THREADS", "4")),
        help="threads per worker process (default: $ANDON_WEB_THREADS or 4)",
    )
    parser.add_argument(
        "--timeout", type=int, default=60, help="seconds before a stuck request's worker restarts"
    )
    parser.add_argument(
        "--no-collectstatic",
        action="store_true",
        help="do not collect static files before starting",
    )
    # Only `andon run` (development) may serve with the built-in development SECRET_KEY.
    parser.add_argument("--allow-dev-key", action="store_true", help=argparse.SUPPRESS)
    return parser


def gunicorn_command(
    *, host: str, port: int, workers: int, threads: int, timeout: int
) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "andon.wsgi:application",
        # Logging through Andon's handler (LOG_FORMAT, scrubbing); no access log of gunicorn's.
        "--config",
        "python:andon.ops.gunicorn_conf",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "20",
    ]


def dev_key_refusal(*, allow_dev_key: bool) -> str:
    """Why `andon serve` will not start (empty: it will): the built-in development SECRET_KEY
    signs sessions anyone could forge, so it only serves `andon run` or DEBUG."""
    from django.conf import settings

    if settings.SECRET_KEY != settings.INSECURE_DEV_KEY or allow_dev_key or settings.DEBUG:
        return ""
    return (
        "andon serve refuses the built-in development SECRET_KEY: set SECRET_KEY to a long "
        "random value (python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
        "or use `andon run` / `make run` for development."
    )


def serve(args: list[str]) -> int:
    options = _serve_parser().parse_args(args)
    refusal = dev_key_refusal(allow_dev_key=options.allow_dev_key)
    if refusal:
        print(refusal, file=sys.stderr)
        return 2
    if not options.no_collectstatic:
        _setup_django()
        collect_static_if_needed()
    command = gunicorn_command(
        host=options.host,
        port=options.port,
        workers=options.workers or _default_web_workers(),
        threads=options.threads,
        timeout=options.timeout,
    )
    sys.stdout.flush()
    # Replace this process so gunicorn receives the service manager's signals directly.
    os.execv(command[0], command)
    return 0  # not reached


def _static_fingerprint() -> str:
    """What collectstatic would copy: every source file's path, size and mtime, and the storage."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def collect_static_if_needed(*, verbose: bool = True) -> bool:
    """Run collectstatic only when the source files changed since the last run (it post-processes
    and compresses every file, which takes a while with the vendored libraries)."""
    from django.conf import settings
    from django.core.management import call_command

    root = settings.STATIC_ROOT
    stamp = root / STATIC_STAMP
    fingerprint = _static_fingerprint()
    manifest_needed = "Manifest" in settings.STORAGES["staticfiles"]["BACKEND"]
    manifest_ok = not manifest_needed or (root / "staticfiles.json").exists()
    if manifest_ok and stamp.exists() and stamp.read_text() == fingerprint:
        return False
    if verbose:
        print(f"Collecting static files into {root} …", flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    root.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return True


# --- worker ---------------------------------------------------------------------------------


def _worker_parser(prog: str = "andon worker") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Run an Andon background worker (Huey)."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker threads in this process (default: $ANDON_WORKER_THREADS, else 2; 4 on Redis)",
    )
    parser.add_argument(
        "--no-periodic",
        action="store_true",
        help="do not schedule periodic jobs (run exactly one worker without this flag)",
    )
    return parser


def worker_command(*, workers: int | None = None, periodic: bool = True) -> list[str]:
    command = [sys.executable, "-m", "django", "run_huey", "--worker-type", "thread"]
    if workers:
        command += ["--workers", str(workers)]
    if not periodic:
        command.append("--no-periodic")
    return command


def worker(args: list[str]) -> int:
    options = _worker_parser().parse_args(args)
    command = worker_command(workers=options.workers, periodic=not options.no_periodic)
    sys.stdout.flush()
    os.execv(command[0], command)
    return 0  # not reached


# --- run ------------------------------------------------------------------------------------


def _run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="andon run",
        description=(
            "Development run: migrate, load the demo company into an empty database, collect "
            "static files, then run the web process and a worker until Ctrl-C."
        ),
    )
    parser.add_argument("--host", default=os.environ.get("ANDON_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ANDON_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=2, help="web worker processes (default 2)")
    parser.add_argument(
        "--no-demo",
        action="store_true",
        default=os.environ.get("ANDON_DEMO", "1").strip().lower() in {"0", "false", "no", "off"},
        help="never load demo data (also: ANDON_DEMO=0)",
    )
    return parser


def _wait_for_port(host: str, port: int, process: subprocess.Popen, timeout: float = 60) -> bool:
    target = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host in ("::", "[::]") else host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection((target.strip("[]"), port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _port_is_free(host: str, port: int) -> bool:
    bare = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((bare, port))
        except OSError:
            return False
    return True


def _signal_all(processes: dict[str, subprocess.Popen], signals: dict[str, int]) -> None:
    for name, process in processes.items():
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signals[name])


def _wait_all(processes: dict[str, subprocess.Popen], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    return all(process.poll() is not None for process in processes.values())


def _stop(processes: dict[str, subprocess.Popen]) -> None:
    # gunicorn stops gracefully on TERM, the Huey consumer on INT (TERM interrupts running
    # tasks, so it is only the second try); whatever is still there after that is killed.
    # The signal is repeated: a worker still starting up ignores SIGINT until Huey handles it.
    graceful = {"web": signal.SIGTERM, "worker": signal.SIGINT}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        _signal_all(processes, graceful)
        if _wait_all(processes, 0.5):
            return
    _signal_all(processes, dict.fromkeys(processes, signal.SIGTERM))
    if _wait_all(processes, 10):
        return
    _signal_all(processes, dict.fromkeys(processes, signal.SIGKILL))
    _wait_all(processes, 5)


def _die_with_parent() -> None:
    """In a child: get SIGTERM if `andon run` itself is killed, so no server is left behind."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_child_setup() -> None:
    _die_with_parent()
    _ignore_sigint()


def run(args: list[str]) -> int:
    options = _run_parser().parse_args(args)
    if not _port_is_free(options.host, options.port):
        print(
            f"Port {options.port} on {options.host} is in use by another program; "
            f"stop it or choose another port (andon run --port N, make run PORT=N).",
            file=sys.stderr,
        )
        return 2
    _setup_django()
    from django.core.management import call_command
    from django.db import connections

    from andon import demo

    print("Applying database migrations …", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if not options.no_demo and demo.is_first_start():
        print("First start: loading the demo company (星河科技) …", flush=True)
        started = time.monotonic()
        summary = demo.load_demo()
        print(f"  {summary} ({time.monotonic() - started:.1f} s)", flush=True)
    collect_static_if_needed()
    connections.close_all()

    web_cmd = [
        sys.executable,
        "-m",
        "andon.cli",
        "serve",
        "--host",
        options.host,
        "--port",
        str(options.port),
        "--workers",
        str(options.workers),
        "--no-collectstatic",
        "--allow-dev-key",
    ]
    worker_cmd = [sys.executable, "-m", "andon.cli", "worker"]
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    # Own process groups: Ctrl-C reaches only this process, which stops the children in order.
    linux = sys.platform.startswith("linux")
    processes = {
        "web": subprocess.Popen(
            web_cmd, start_new_session=True, preexec_fn=_die_with_parent if linux else None
        ),
        # The worker ignores SIGINT until Huey's consumer installs its own handler, so stopping
        # while it is still starting up does not print an import-time KeyboardInterrupt.
        "worker": subprocess.Popen(
            worker_cmd,
            start_new_session=True,
            preexec_fn=_worker_child_setup if linux else _ignore_sigint,
        ),
    }
    code = 0
    try:
        if _wait_for_port(options.host, options.port, processes["web"]):
            _print_banner(
                options.host, options.port, demo.demo_logins() if not options.no_demo else []
            )
        elif not stopping:
            print(
                f"The web process did not start listening on port {options.port}.", file=sys.stderr
            )
            code = 1
            stopping = True
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(
                        f"The {name} process exited ({process.returncode}); stopping.",
                        file=sys.stderr,
                    )
                    code = process.returncode or 1
                    stopping = True
                    break
            else:
                time.sleep(0.3)
    finally:
        print("Stopping Andon …", flush=True)
        _stop(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _print_banner(host: str, port: int, logins: list[tuple[str, str, str]]) -> None:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::", "[::]") else host
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    lines = ["", "=" * 64, f"  Andon is running at http://{shown}:{port}/", ""]
    if logins:
        lines.append("  Demo log-ins (星河科技):")
        width = max(len(username) for username, _, _ in logins)
        for username, password, label in logins:
            lines.append(f"    {username.ljust(width)}  {password:<12}  {label}")
        lines.append("")
    lines += ["  Press Ctrl-C to stop.", "=" * 64, ""]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
