"""ANDON_STORAGE=s3: attachments go to an S3-compatible bucket (moto's server mode, a real
S3 HTTP server on loopback) and still come back only through the permission-checked view;
readiness checks the bucket; backup and restore carry the files."""

import socket
import uuid

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from andon.ops import backup
from andon.tickets import services
from tests import factories

pytestmark = pytest.mark.django_db

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy")
KEY_ID, SECRET = "andon-test-key", "andon-test-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as error:
        pytest.skip(f"moto[server] is not installed: {error}")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    try:
        server.start()
    except Exception as error:  # pragma: no cover - depends on the machine
        pytest.skip(f"moto's S3 server could not start: {error}")
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch, tmp_path):
    import boto3

    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    name = f"andon-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    settings.MEDIA_ROOT = tmp_path / "never-used"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": KEY_ID,
                "secret_key": SECRET,
                "location": "desk",
                "addressing_style": "path",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    client.bucket_name = name
    return client


def keys(client) -> list[str]:
    listing = client.list_objects_v2(Bucket=client.bucket_name)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_attachments_live_in_the_bucket_and_download_through_the_view(
    bucket, queue, entry, requester, handlers
):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    content = b"%PDF-1.4 " + bytes(range(256)) * 100
    attachment = services.add_attachment(
        ticket_id=ticket.pk, actor=requester, upload=factories.upload("报告.pdf", content)
    )
    assert keys(bucket) == [f"desk/{attachment.file.name}"]
    assert not django_settings.MEDIA_ROOT.exists()  # nothing on this host's disk
    url = f"/tickets/{ticket.pk}/attachments/{attachment.pk}/"
    owner = Client()
    owner.force_login(requester)
    response = owner.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert "attachment" in response["Content-Disposition"]
    stranger = Client()
    stranger.force_login(factories.requester())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the sign-in page, never to the bucket


def test_readiness_checks_the_bucket(bucket):
    from andon.ops import services as ops_services

    ops_services.record_heartbeat(
        name="w:1",
        hostname="w",
        pid=1,
        periodic=True,
        started_at=timezone.now(),
    )
    assert Client().get("/readyz").json()["checks"]["storage"] == "ok"
    bucket.delete_bucket(Bucket=bucket.bucket_name)
    body = Client().get("/readyz").json()
    assert "storage" in body["failing"]


@pytest.mark.django_db(transaction=True)  # restore truncates tables: not inside a test transaction
def test_backup_and_restore_carry_the_bucket_files(bucket, queue, entry, requester, tmp_path):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    attachment = services.add_attachment(
        ticket_id=ticket.pk, actor=requester, upload=factories.upload("a.txt", b"hello s3")
    )
    archive = tmp_path / "b.tar.gz"
    backup.backup(output=archive)
    assert [f["name"] for f in backup.read_manifest(archive)["files"]] == [attachment.file.name]
    bucket.delete_object(Bucket=bucket.bucket_name, Key=f"desk/{attachment.file.name}")
    backup.restore(path=archive, force=True)
    body = bucket.get_object(Bucket=bucket.bucket_name, Key=f"desk/{attachment.file.name}")
    assert body["Body"].read() == b"hello s3"


def test_a_file_missing_from_the_bucket_is_a_clear_404_not_a_500(bucket, queue, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry)
    attachment = services.add_attachment(
        ticket_id=ticket.pk, actor=requester, upload=factories.upload("a.txt", b"gone soon")
    )
    bucket.delete_object(Bucket=bucket.bucket_name, Key=f"desk/{attachment.file.name}")
    owner = Client(raise_request_exception=False)
    owner.force_login(requester)
    page = owner.get(f"/tickets/{ticket.pk}/attachments/{attachment.pk}/")
    assert page.status_code == 404
    api = owner.get(f"/api/v1/tickets/{ticket.pk}/attachments/{attachment.pk}/")
    assert api.status_code == 404
    assert api.json()["detail"] == "附件文件已丢失"
