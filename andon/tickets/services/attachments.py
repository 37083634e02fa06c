"""Attachments: validation, storage and the files removed again when the write fails."""

from __future__ import annotations

import mimetypes
import secrets
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.core.errors import (
    ValidationFailed,
)
from andon.tickets import events
from andon.tickets.models import (
    Attachment,
    EventKind,
)
from andon.tickets.services.common import _check, _locked, _touch

# --- attachments ----------------------------------------------------------------------------


def _allowed_extensions() -> set[str]:
    return {e.strip().lower().lstrip(".") for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS}


@contextmanager
def _removing_files_on_error():
    """Files are written before the transaction commits; if the service fails after writing
    them, delete them again so a rolled-back ticket or comment leaves nothing on disk."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        storage = Attachment._meta.get_field("file").storage
        for name in stored:
            storage.delete(name)
        raise


def _validate_upload(upload: UploadedFile) -> None:
    name = Path(upload.name or "").name
    extension = Path(name).suffix.lower().lstrip(".")
    if extension not in _allowed_extensions():
        message = _("不支持的附件类型：%s") % (extension or name)
        raise ValidationFailed(message, errors={"attachments": [message]})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        message = _("附件「%(name)s」超过 %(mb)s MB") % {
            "name": name,
            "mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        }
        raise ValidationFailed(message, errors={"attachments": [message]})


def _store_attachment(*, ticket, actor, upload, now, stored: list, comment=None) -> Attachment:
    extension = "." + Path(upload.name).suffix.lower().lstrip(".")
    # The type is derived from the checked extension, never taken from the client.
    content_type = mimetypes.guess_type(f"file{extension}")[0] or "application/octet-stream"
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        uploaded_by=actor,
        token=secrets.token_hex(16),
        extension=extension,
        original_name=Path(upload.name).name[:255],
        size=upload.size,
        content_type=content_type[:100],
        created_at=now,
    )
    # Every check ran before this point; if a later step still fails, the caller's
    # `_removing_files_on_error` deletes the file again.
    attachment.file.save(f"{attachment.token}{extension}", upload, save=False)
    stored.append(attachment.file.name)
    attachment.save()
    return attachment


@transaction.atomic
def add_attachment(
    *, ticket_id, actor, upload: UploadedFile, now: datetime | None = None
) -> Attachment:
    ticket = _locked(ticket_id, actor)
    _check("attach", actor, ticket)
    _validate_upload(upload)
    now = now or timezone.now()
    with _removing_files_on_error() as stored:
        attachment = _store_attachment(
            ticket=ticket, actor=actor, upload=upload, now=now, stored=stored
        )
        _touch(ticket, now)
        events.record_event(
            ticket=ticket,
            kind=EventKind.ATTACHED,
            actor=actor,
            after={
                "attachment": attachment.pk,
                "name": attachment.original_name,
                "size": attachment.size,
            },
            at=now,
        )
    return attachment
