"""LOG_FORMAT=json: one JSON object per line, the request id on every line of a request and of a
worker task, and no secret on any line (passwords, API tokens, WeCom secrets, SECRET_KEY)."""

import io
import json
import logging
import logging.config
import signal

import pytest
from django.test import Client
from huey import SqliteHuey

from andon.ops import task_context
from andon.ops.logs import logging_config, request_id_var, scrub
from tests import factories
from tests.ops.conftest import child_env
from tests.processes import start_worker, wait_for
from tests.wecom_server import wecom_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Andon's real logging configuration (LOG_FORMAT=json) writing into a buffer; restored
    afterwards."""
    buffer = io.StringIO()
    config = logging_config(fmt="json", level="DEBUG")
    config["handlers"]["console"]["stream"] = buffer
    config["loggers"]["huey"]["level"] = "DEBUG"
    logging.config.dictConfig(config)

    def lines(*, clear: bool = False):
        found = [json.loads(line) for line in buffer.getvalue().splitlines()]
        if clear:
            buffer.seek(0)
            buffer.truncate()
        return found

    yield lines
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def test_every_line_of_a_request_carries_its_id(json_lines, wecom_server, settings):  # noqa: F811
    admin = factories.admin()
    client = Client()
    client.force_login(admin)
    json_lines(clear=True)  # only the request's own lines from here on
    # The connection test calls WeCom's gettoken (corpsecret in the query string) and agent/get.
    response = client.post("/config/wecom/test/", HTTP_X_REQUEST_ID="probe-42.a")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "probe-42.a"
    lines = json_lines()
    assert lines, "nothing was logged"
    assert all(line.get("request_id") == "probe-42.a" for line in lines), [
        line for line in lines if line.get("request_id") != "probe-42.a"
    ]
    loggers = {line["logger"] for line in lines}
    assert {"httpx", "andon.request"} <= loggers, loggers
    request_line = next(line for line in lines if line["logger"] == "andon.request")
    assert request_line["status"] == 200 and request_line["view"] == "config:wecom-test"
    assert request_line["method"] == "POST" and request_line["path"] == "/config/wecom/test/"
    assert {"time", "level", "message"} <= set(request_line)
    text = json.dumps(lines)
    assert settings.WECOM_SECRET not in text and "corpsecret=***" in text


def test_a_bad_request_id_is_replaced(json_lines):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="no spaces or\nnewlines")
    assert len(response["X-Request-ID"]) == 32
    assert "\n" not in response["X-Request-ID"]


def test_secrets_never_reach_a_line(json_lines, settings, wecom_server):  # noqa: F811
    settings.SECRET_KEY = "a-very-secret-signing-key-0123456789"
    settings.ANDON_LLM_API_KEY = "sk-llm-key-abcdef"
    user = factories.UserFactory(username="liu", password="Correct-Horse-9")
    admin = factories.admin()
    json_lines(clear=True)  # the test factories' own debug lines are not Andon's
    client = Client()
    # A failed and a good password sign-in, an API token, a WeCom call, a crash with a secret.
    client.post("/accounts/login/", {"username": "liu", "password": "Wrong-Horse-9"})
    client.post("/accounts/login/", {"username": "liu", "password": "Correct-Horse-9"})
    token = (
        Client()
        .post("/api/v1/auth/token/", {"username": "liu", "password": "Correct-Horse-9"})
        .json()["token"]
    )
    Client().get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(admin)
    client.post("/config/wecom/test/")
    log = logging.getLogger("andon.test")
    log.warning(
        "settings dump SECRET_KEY=%s llm=%s", settings.SECRET_KEY, settings.ANDON_LLM_API_KEY
    )
    log.info("posted {'password': 'Correct-Horse-9', 'user': 'liu'}")
    log.info("header Authorization: Token %s", token)
    try:
        raise RuntimeError(f"connect failed with secret {settings.WECOM_SECRET}")
    except RuntimeError:
        log.exception("boom")
    text = "\n".join(json.dumps(line, ensure_ascii=False) for line in json_lines())
    for secret in (
        "Correct-Horse-9",
        "Wrong-Horse-9",
        token,
        settings.WECOM_SECRET,
        settings.SECRET_KEY,
        "sk-llm-key-abcdef",
    ):
        assert secret not in text, secret
    assert "boom" in text and "***" in text
    assert user.pk


def test_scrub_keeps_ordinary_text():
    assert scrub("GET /tickets/?page=2 200") == "GET /tickets/?page=2 200"
    assert scrub("postgres://andon:pw-123456@db:5432/andon") == "postgres://andon:***@db:5432/andon"
    assert scrub("?access_token=abc&x=1") == "?access_token=***&x=1"


def test_task_lines_carry_the_task_id(json_lines):
    """A task run outside any request (as in the worker) gets its own id on its lines."""
    from andon.notifications.tasks import sweep_outbox_task

    sweep_outbox_task()
    task_lines = [line for line in json_lines() if line["logger"] == "huey"]
    assert task_lines, json_lines()
    executed = next(line for line in task_lines if "executed in" in line["message"])
    assert executed["request_id"].startswith("task-")
    assert executed["task"] == "sweep_outbox_task"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_writes_json_lines_with_task_ids(tmp_path):
    env = child_env(tmp_path, LOG_FORMAT="json", ANDON_WORKER_HEARTBEAT_SECONDS="1")
    log = tmp_path / "worker.log"
    worker = start_worker(env, log, "--no-periodic")
    try:
        from andon.notifications.tasks import sweep_outbox_task

        queue = SqliteHuey("andon", filename=str(tmp_path / "huey.sqlite3"))
        queue._registry.register(sweep_outbox_task.task_class)
        assert wait_for(lambda: "heartbeat every" in log.read_text(), 60), log.read_text()
        queue.enqueue(sweep_outbox_task.s())
        assert wait_for(lambda: log.read_text().count("executed in") == 1, 30), log.read_text()
        # Enqueued while a request runs (as a view would): the worker's lines carry its id.
        queue.signal()(task_context._task_context)
        token = request_id_var.set("req-7f3a9c")
        try:
            queue.enqueue(sweep_outbox_task.s())
        finally:
            request_id_var.reset(token)
        assert wait_for(lambda: log.read_text().count("executed in") == 2, 30), log.read_text()
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(30)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    executed = [line for line in lines if "executed in" in line["message"]]
    assert executed[0]["request_id"].startswith("task-"), executed
    assert executed[1]["request_id"] == "req-7f3a9c", executed
    assert executed[1]["task"] == "sweep_outbox_task", executed
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
