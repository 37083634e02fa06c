import re
from pathlib import Path

import pytest

from andon.core.errors import Conflict, ValidationFailed
from andon.notifications.models import Notification
from andon.tickets import services
from andon.tickets.models import Attachment, EventKind, Status, Ticket
from tests import factories


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_files_are_stored_under_media_root_with_a_random_token(
    handlers, entry, requester, settings
):
    ticket = factories.make_ticket(
        actor=requester,
        entry=entry,
        attachments=[
            factories.upload("屏幕截图.PNG", b"png-bytes", content_type="text/html"),
            factories.upload("屏幕截图.PNG", b"other-bytes"),
        ],
    )
    first, second = ticket.attachments.all()
    for attachment, content in ((first, b"png-bytes"), (second, b"other-bytes")):
        assert re.fullmatch(r"[0-9a-f]{32}", attachment.token)
        assert attachment.extension == ".png"
        assert attachment.file.name == f"attachments/{ticket.pk}/{attachment.token}.png"
        path = Path(attachment.file.path)
        assert path.is_relative_to(Path(settings.MEDIA_ROOT))
        assert path.read_bytes() == content
        assert attachment.original_name == "屏幕截图.PNG"
        assert attachment.size == len(content)
        assert attachment.uploaded_by == requester
        # The stored type follows the checked extension, not what the client claimed.
        assert attachment.content_type == "image/png"
    assert first.token != second.token
    assert ticket.events.first().after["attachments"] == ["屏幕截图.PNG", "屏幕截图.PNG"]
    assert not ticket.events.filter(kind=EventKind.ATTACHED).exists()


def test_a_path_in_the_file_name_is_dropped(handlers, entry, requester, settings):
    ticket = factories.make_ticket(
        actor=requester, entry=entry, attachments=[factories.upload("../../etc/passwd.txt", b"x")]
    )
    attachment = ticket.attachments.get()
    assert attachment.original_name == "passwd.txt"
    assert files_under(Path(settings.MEDIA_ROOT)) == [Path(attachment.file.path)]


@pytest.mark.parametrize("name", ["run.exe", "page.html", "image.svg", "README", "archive.tar.gz"])
def test_types_outside_the_allow_list_are_refused(handlers, entry, requester, settings, name):
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(actor=requester, entry=entry, attachments=[factories.upload(name)])
    assert list(exc.value.errors) == ["attachments"]
    assert "不支持的附件类型" in exc.value.errors["attachments"][0]
    assert not Ticket.objects.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []


def test_the_size_limit_comes_from_settings(handlers, entry, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 10
    ok = factories.make_ticket(
        actor=requester, entry=entry, attachments=[factories.upload("a.txt", b"x" * 10)]
    )
    assert ok.attachments.get().size == 10
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(
            actor=requester, entry=entry, attachments=[factories.upload("b.txt", b"x" * 11)]
        )
    assert list(exc.value.errors) == ["attachments"]
    assert "b.txt" in exc.value.errors["attachments"][0]


def test_the_allowed_types_come_from_settings(handlers, entry, requester, settings):
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["PDF", ".log"]
    factories.make_ticket(
        actor=requester,
        entry=entry,
        attachments=[factories.upload("a.pdf"), factories.upload("b.LOG")],
    )
    with pytest.raises(ValidationFailed):
        factories.make_ticket(actor=requester, entry=entry, attachments=[factories.upload("c.png")])


def test_every_bad_file_is_reported(handlers, entry, requester):
    with pytest.raises(ValidationFailed) as exc:
        factories.make_ticket(
            actor=requester,
            entry=entry,
            attachments=[
                factories.upload("a.exe"),
                factories.upload("ok.png"),
                factories.upload("b.bat"),
            ],
        )
    assert len(exc.value.errors["attachments"]) == 2


def test_add_attachment_logs_and_notifies(ticket, handlers, requester):
    attachment = services.add_attachment(
        ticket_id=ticket.pk, actor=requester, upload=factories.upload("log.txt", b"abc")
    )
    event = ticket.events.last()
    assert event.kind == EventKind.ATTACHED
    assert event.after == {"attachment": attachment.pk, "name": "log.txt", "size": 3}
    assert attachment.comment is None
    assert list(Notification.objects.filter(event=event).values_list("recipient", flat=True)) == [
        handlers[0].pk
    ]


def test_comment_attachments_belong_to_the_comment(ticket, handlers):
    comment = services.add_comment(
        ticket_id=ticket.pk, actor=handlers[0], body="", attachments=[factories.upload("fix.pdf")]
    )
    assert comment.body == ""
    assert [a.original_name for a in comment.attachments.all()] == ["fix.pdf"]


def test_a_comment_needs_text_or_a_file(ticket, handlers):
    with pytest.raises(ValidationFailed) as exc:
        services.add_comment(ticket_id=ticket.pk, actor=handlers[0], body="  ")
    assert list(exc.value.errors) == ["body"]


def test_a_bad_comment_attachment_is_refused_before_anything_is_written(ticket, handlers, settings):
    with pytest.raises(ValidationFailed) as exc:
        services.add_comment(
            ticket_id=ticket.pk,
            actor=handlers[0],
            body="附件",
            attachments=[factories.upload("x.exe")],
        )
    assert list(exc.value.errors) == ["attachments"]
    assert not ticket.comments.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []


def test_attaching_to_a_closed_ticket_is_refused(ticket_in, requester, settings):
    ticket = ticket_in(Status.CLOSED)
    with pytest.raises(Conflict) as exc:
        services.add_attachment(ticket_id=ticket.pk, actor=requester, upload=factories.upload())
    assert exc.value.code == "invalid_transition"
    assert "「已关闭」" in exc.value.detail
    assert files_under(Path(settings.MEDIA_ROOT)) == []


def test_a_failure_after_the_file_is_written_removes_it(ticket, requester, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("log store down")

    monkeypatch.setattr("andon.tickets.events.record_event", broken)
    with pytest.raises(RuntimeError):
        services.add_attachment(ticket_id=ticket.pk, actor=requester, upload=factories.upload())
    assert not Attachment.objects.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []


def test_a_failed_comment_with_files_leaves_no_files(ticket, requester, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("log store down")

    monkeypatch.setattr("andon.tickets.events.record_event", broken)
    with pytest.raises(RuntimeError):
        services.add_comment(
            ticket_id=ticket.pk, actor=requester, body="看附件", attachments=[factories.upload()]
        )
    assert not ticket.comments.exists()
    assert files_under(Path(settings.MEDIA_ROOT)) == []
