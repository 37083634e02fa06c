"""deploy/nginx.conf, run by a real nginx on a free port in front of the live server: pages,
sign-in (CSRF with the forwarded Host), static files served by nginx itself, the request id
handed to Andon, and a 20 MB attachment that nginx's default 1 MB limit would refuse."""

import getpass
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from andon.queues.models import DispatchRule
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def render_site(*, port: int, upstream: str, static_root: Path, logs: Path) -> str:
    """deploy/nginx.conf with this machine's port, upstream, static root and log path."""
    text = (DEPLOY / "nginx.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{port};",
        "server 127.0.0.1:8000;": f"server {upstream};",
        "alias /srv/andon/var/static/;": f"alias {static_root}/;",
        "/etc/nginx/andon_proxy_params": str(DEPLOY / "andon_proxy_params"),
        "/var/log/nginx/andon.access.log": str(logs / "access.log"),
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def nginx(live_server, tmp_path):
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install nginx); .ci/run installs it")
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    port = free_port()
    site = prefix / "andon.conf"
    # Tests serve static files from the source tree (no collectstatic; plain storage).
    site.write_text(
        render_site(
            port=port,
            upstream=live_server.url.removeprefix("http://"),
            static_root=ROOT / "andon" / "static",
            logs=prefix,
        )
    )
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    main = prefix / "nginx.conf"
    main.write_text(
        # Workers run as the user running the tests (nginx would switch a root master's workers
        # to nobody/www-data, who may not read a checkout under a private directory).
        f"""
user {getpass.getuser()};
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 128; }}
http {{
    {mime}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""
    )
    command = [binary, "-p", str(prefix), "-c", str(main), "-e", str(prefix / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([*command, "-g", "daemon off;"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("nginx did not start: " + (prefix / "error.log").read_text())
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


def fetch(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_nginx_serves_static_files_and_forwards_the_request_id(nginx):
    status, headers, body = fetch(f"{nginx}/static/vendor/htmx/htmx.min.js")
    assert status == 200 and b"htmx" in body
    assert "X-Request-ID" not in headers  # nginx answered, Django never saw it
    assert "immutable" in headers["Cache-Control"]
    status, headers, _ = fetch(f"{nginx}/healthz")
    assert status == 200
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's $request_id
    status, _, _ = fetch(f"{nginx}/readyz")
    assert status in (200, 503)


def test_config_body_limit_covers_andon_upload_limit():
    text = (DEPLOY / "nginx.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", text).group(1))
    assert megabytes * 1024 * 1024 >= django_settings.ANDON_UPLOAD_MAX_BYTES
    assert django_settings.ANDON_UPLOAD_MAX_BYTES >= django_settings.ATTACHMENT_MAX_BYTES
    assert "proxy_buffering off;" in text


def test_a_desk_through_nginx_in_the_browser(browser, nginx, live_server):
    queue = factories.QueueFactory(name="桌面运维", dispatch_rule=DispatchRule.MANUAL)
    entry = factories.catalog_leaf(queue, name="打印机")
    requester = factories.requester(username="wangfang", display_name="王芳")
    ticket = factories.make_ticket(actor=requester, entry=entry, title="三楼打印机卡纸")
    context = browser.new_context(base_url=nginx, locale="zh-CN")
    outside: list[str] = []

    def guard(route):
        if route.request.url.startswith(nginx):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/accounts/login/")
        page.fill("#id_username", "wangfang")
        page.fill("#id_password", "pass-1234")
        page.click("form button[type=submit]")  # CSRF: Origin matches the forwarded Host
        page.wait_for_url("**/tickets/**")
        page.goto(f"/tickets/{ticket.pk}/")
        expect(page.locator("#ticket-title")).to_have_text("三楼打印机卡纸")
        # Styles and scripts came through nginx's /static/ location.
        assert page.evaluate("typeof window.htmx") == "object"
        # 20 MB: nginx's default limit (1 MB) would answer 413 before Andon saw a byte.
        size = django_settings.ATTACHMENT_MAX_BYTES
        page.set_input_files(
            "#attach-form input[type=file]",
            files=[{"name": "big.log", "mimeType": "text/plain", "buffer": b"x" * size}],
        )
        page.click("#attach-form button[type=submit]")
        expect(page.get_by_text("big.log").first).to_be_visible(timeout=30_000)
        assert ticket.attachments.get().size == size
        assert not errors, errors
        assert not outside, outside
    finally:
        context.close()
