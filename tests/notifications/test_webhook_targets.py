"""Webhooks may not reach loopback, private or link-local addresses (unless the installation
allows private targets): refused when saved, through the API and the page, and again at send
time after DNS; what the receiver answers is not shown back."""

import pytest
from django.utils import timezone

from andon.core.net import UnsafeTarget, pinned_target, refuse_private
from andon.notifications import outbox
from andon.notifications.models import OutboxMessage, Webhook
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.http_receiver import Receiver
from tests.web.helpers import login

INTERNAL = [
    "http://localhost:8080/hook",  # a name that resolves to 127.0.0.1
    "http://127.0.0.1/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10:8000/hook",
    "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_through_the_api(db, url):
    response = client_for(factories.admin()).post(
        "/api/v1/webhooks/", {"name": "内网", "url": url}, format="json"
    )
    assert_error(response, 400, field="url")
    assert "不允许" in response.json()["errors"]["url"][0]
    assert not Webhook.objects.exists()


def test_internal_address_is_refused_on_edit_and_on_the_page(client, db):
    admin = factories.admin()
    api = client_for(admin)
    hook = api.post(
        "/api/v1/webhooks/", {"name": "外网", "url": "https://93.184.216.34/h"}, format="json"
    ).json()
    response = api.patch(
        f"/api/v1/webhooks/{hook['id']}/", {"url": "http://localhost/h"}, format="json"
    )
    assert_error(response, 400, field="url")
    assert Webhook.objects.get().url == "https://93.184.216.34/h"
    login(client, admin)
    page = client.post("/config/notifications/", {"name": "内网", "url": "http://localhost:9000/h"})
    assert page.status_code == 400 and "不允许" in page.content.decode()
    assert Webhook.objects.count() == 1


def test_intranet_installations_may_allow_private_targets(db, settings):
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True
    response = client_for(factories.admin()).post(
        "/api/v1/webhooks/", {"name": "内网", "url": "http://localhost:8080/hook"}, format="json"
    )
    assert response.status_code == 201


def test_send_time_check_after_dns(db, receiver, django_capture_on_commit_callbacks):
    # Saved while it pointed elsewhere (or before the setting was turned off): checked again.
    url = receiver.url.replace("127.0.0.1", "localhost")
    Webhook.objects.create(name="改过 DNS", url=url, secret="k")
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_webhooks(kind="created", key="event:1", payload={})
    message = OutboxMessage.objects.get()
    assert message.state == OutboxMessage.State.PENDING
    assert "不允许" in message.last_error and "127.0.0.1" in message.last_error
    assert receiver.requests == []


def test_send_connects_to_the_checked_address_with_the_name_as_host(
    db, receiver, settings, django_capture_on_commit_callbacks
):
    settings.ANDON_WEBHOOK_ALLOW_PRIVATE = True
    port = receiver.url.split(":")[2].split("/")[0]
    Webhook.objects.create(name="h", url=f"http://localhost:{port}/hook?x=1", secret="k")
    receiver.statuses = [502]
    with django_capture_on_commit_callbacks(execute=True):
        outbox.enqueue_webhooks(kind="created", key="event:2", payload={})
    request = receiver.requests[0]
    assert request["path"] == "/hook?x=1"
    assert request["headers"]["Host"] == f"localhost:{port}"
    message = OutboxMessage.objects.get()
    # The status only: the receiver's body ("boom") is not echoed to admins.
    assert message.last_error == "HTTP 502"
    assert "boom" not in message.attempt_log.get().detail


def test_pinned_target():
    target = pinned_target("http://localhost:8080/a/b?q=1", allow_private=True)
    assert target.url == "http://127.0.0.1:8080/a/b?q=1"
    assert (target.host, target.host_header) == ("localhost", "localhost:8080")
    with pytest.raises(UnsafeTarget):
        pinned_target("http://localhost:8080/", allow_private=False)
    with pytest.raises(UnsafeTarget):
        pinned_target("http://no-such-host.invalid/", allow_private=True)
    # Names that do not resolve yet may be saved; they are checked when used.
    refuse_private("https://no-such-host.invalid/h", allow_private=False, unresolvable_ok=True)
    refuse_private("https://93.184.216.34/h", allow_private=False)


def test_a_refused_send_is_an_ordinary_failed_attempt(db):
    hook = Webhook.objects.create(name="h", url="http://10.0.0.1/", secret="k")
    message = OutboxMessage.objects.create(
        key="k",
        channel="webhook",
        webhook=hook,
        subject="created",
        next_attempt_at=timezone.now(),
        created_at=timezone.now(),
    )
    assert outbox.deliver(message.pk) == OutboxMessage.State.PENDING
    message.refresh_from_db()
    assert message.attempts == 1 and message.next_attempt_at > timezone.now()
