"""The `andon` command: its own subcommands, createadmin, demo and the pass-through to Django."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from andon import cli
from andon.accounts.models import User
from tests import factories

ANDON_SCRIPT = Path(sys.executable).with_name("andon")


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def andon_env(tmp_path, **extra) -> dict:
    """A child process on its own SQLite database in tmp_path, never the test or dev database."""
    # Test-process settings (DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests, say) stay behind,
    # so `andon run` below uses the production static storage (manifest + compression).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "ANDON_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}
    }
    env.update(ANDON_DATA_DIR=str(tmp_path / "data"), PYTHONUNBUFFERED="1", **extra)
    return env


def andon(*args, env, timeout=120) -> subprocess.CompletedProcess:
    command = [str(ANDON_SCRIPT)] if ANDON_SCRIPT.exists() else [sys.executable, "-m", "andon.cli"]
    return subprocess.run(
        [*command, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_help_lists_the_andon_commands(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for word in ("run", "serve", "worker", "migrate", "demo", "createadmin", "check --deploy"):
        assert word in out


@pytest.mark.django_db
def test_createadmin_creates_a_working_administrator(capsys):
    factories.ensure_builtin_roles()
    call_command("createadmin", username="boss", password="s3cret-pass")
    assert "Created administrator 'boss'" in capsys.readouterr().out
    user = authenticate(
        RequestFactory().post("/accounts/login/"), username="boss", password="s3cret-pass"
    )
    assert user is not None
    assert user.is_superuser and user.is_staff and user.is_active
    assert list(user.roles.values_list("code", flat=True)) == ["admin"]
    assert user.has_perm_code("roles.manage")


@pytest.mark.django_db
def test_createadmin_updates_an_existing_account(capsys):
    factories.ensure_builtin_roles()
    existing = factories.requester(username="boss", is_active=False)
    call_command("createadmin", username="boss", password="new-pass-123", email="boss@example.cn")
    assert "Updated administrator 'boss'" in capsys.readouterr().out
    assert User.objects.filter(username="boss").count() == 1
    existing.refresh_from_db()
    assert existing.is_active and existing.is_superuser
    assert existing.email == "boss@example.cn"
    assert set(existing.roles.values_list("code", flat=True)) == {"agent", "admin"}
    assert (
        authenticate(
            RequestFactory().post("/accounts/login/"), username="boss", password="new-pass-123"
        )
        is not None
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("x7!", "too short"),
        ("password123", "too common"),
        ("bossman-boss", "too similar"),
    ],
)
def test_createadmin_validates_the_password_and_says_why(password, reason, settings):
    settings.LANGUAGE_CODE = "en"
    factories.ensure_builtin_roles()
    with pytest.raises(CommandError) as refused:
        call_command("createadmin", username="bossman", password=password)
    assert "The password was refused" in str(refused.value)
    assert reason in str(refused.value)
    assert not User.objects.filter(username="bossman").exists()


@pytest.mark.django_db
def test_createadmin_needs_a_password(monkeypatch):
    monkeypatch.delenv("ANDON_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError):
        call_command("createadmin", username="boss", password=None)


def test_serve_and_worker_command_lines():
    web = cli.gunicorn_command(host="0.0.0.0", port=9000, workers=3, threads=4, timeout=60)
    assert web[:4] == [sys.executable, "-m", "gunicorn", "andon.wsgi:application"]
    assert web[web.index("--bind") + 1] == "0.0.0.0:9000"
    assert web[web.index("--workers") + 1] == "3"
    ipv6 = cli.gunicorn_command(host="::", port=8000, workers=1, threads=1, timeout=60)
    assert ipv6[ipv6.index("--bind") + 1] == "[::]:8000"
    assert cli.worker_command() == [
        sys.executable,
        "-m",
        "django",
        "run_huey",
        "--worker-type",
        "thread",
    ]
    extra = cli.worker_command(workers=8, periodic=False)
    assert extra[-1] == "--no-periodic"
    assert extra[extra.index("--workers") + 1] == "8"


def test_a_fresh_database_through_the_command_line(tmp_path):
    env = andon_env(tmp_path)
    migrate = andon("migrate", "--noinput", "-v", "0", env=env)
    assert migrate.returncode == 0, migrate.stderr
    first = andon("demo", "--tickets", "40", env=env)
    assert first.returncode == 0, first.stderr
    assert "40 tickets" in first.stdout
    assert "zhangwei" in first.stdout
    second = andon("demo", env=env)
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout
    # Pass-through: any other word is a Django management command.
    shell = andon(
        "shell",
        "-c",
        "from andon.tickets.models import Ticket; print('tickets', Ticket.objects.count())",
        env=env,
    )
    assert shell.returncode == 0, shell.stderr
    assert "tickets 40" in shell.stdout
    admin = andon(
        "createadmin", "--username", "ops", env={**env, "ANDON_ADMIN_PASSWORD": "Lantern-Harbor-42"}
    )
    assert admin.returncode == 0, admin.stderr
    login = andon(
        "shell",
        "-c",
        "from django.contrib.auth import authenticate as a;"
        "from django.test import RequestFactory as R;"
        "u = a(R().post('/accounts/login/'), username='ops', password='Lantern-Harbor-42');"
        "print('admin-ok', u.is_superuser, sorted(u.roles.values_list('code', flat=True)))",
        env=env,
    )
    assert "admin-ok True ['admin']" in login.stdout, login.stderr


def test_unknown_command_is_reported_by_django(tmp_path):
    result = andon("no-such-command", env=andon_env(tmp_path))
    assert result.returncode != 0
    assert "Unknown command" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_run_serves_pages_and_stops_on_sigterm(tmp_path):
    port = _free_port()
    env = andon_env(tmp_path, ANDON_DEMO="0")
    command = [str(ANDON_SCRIPT)] if ANDON_SCRIPT.exists() else [sys.executable, "-m", "andon.cli"]
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [*command, "run", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while f"http://127.0.0.1:{port}/" not in (tmp_path / "run.log").read_text():
            assert process.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.3)
        response = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=True, timeout=30)
        assert response.status_code == 200, response.text[:2000]
        # Static files come from WhiteNoise under their hashed (manifest) names.
        scripts = re.findall(r'src="(/static/[^"]+\.js)"', response.text)
        assert scripts, response.text[:2000]
        for script in scripts:
            asset = httpx.get(f"http://127.0.0.1:{port}{script}", timeout=30)
            assert asset.status_code == 200, script
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert "Stopping Andon" in output
    # Both children are gone with it.
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
