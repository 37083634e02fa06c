"""The ticket detail body, written out by hand for the answers to writes.

`TicketDetailSerializer` documents the body (the OpenAPI schema reads it) and serves the reads; a
create or an action answers with the same body built here, because the serializer's generic
machinery (a ModelSerializer builds its ~30 fields again for every instance, and Django's
`get_FOO_display` hashes every lazy label on each call) was the largest single cost of a create
request after the database. `tests/api/test_ticket_bodies.py` holds the two to the same output,
key for key, for tickets in every shape (no queue, no assignee, files, custom fields, each
status), so a field added to the serializer and not here fails there.
"""

from __future__ import annotations

from django.db.models.functions import Lower
from django.urls import reverse
from rest_framework import serializers

from andon.core.choices import label
from andon.tickets import workflow
from andon.tickets.models import Channel, Priority, Status, Ticket

# DRF's own field, so dates come out exactly as the serializer writes them (the current time
# zone, ISO 8601, `Z` for UTC).
_DATETIME = serializers.DateTimeField()


def _when(value):
    return None if value is None else _DATETIME.to_representation(value)


def _person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.name}


def _ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": obj.name}


def _fields(values):
    if values is None:
        return None
    return {str(key): value for key, value in values.items()}


def _attachment(attachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "comment": attachment.comment_id,
        "created_at": _when(attachment.created_at),
        "url": reverse(
            "api:ticket-attachment",
            kwargs={"ticket_id": attachment.ticket_id, "attachment_id": attachment.pk},
        ),
    }


def tag_names(ticket: Ticket) -> list[str]:
    """The ticket's tag names by name: lists prefetch them (`tags.selectors.with_tags`), one
    ticket (detail, action answers) costs one query."""
    links = ticket.tag_links.all()
    if "tag_links" not in getattr(ticket, "_prefetched_objects_cache", {}):
        links = links.select_related("tag").order_by(Lower("tag__name"))
    return [link.tag.name for link in links]


def ticket_detail(ticket: Ticket, user, *, attachments=None, tags=None) -> dict:
    """The body of `TicketDetailSerializer(ticket, context={"request": ...}).data` for `user`.
    `attachments` are the files to show (default: the ticket's prefetched `attachments`), `tags`
    its tag names when the caller knows them (default: `tag_names`)."""
    entry = ticket.catalog_entry
    parent = entry.parent if entry.parent_id is not None else None
    files = ticket.attachments.all() if attachments is None else attachments
    return {
        "id": ticket.pk,
        "number": ticket.number,
        "title": ticket.title,
        "description": ticket.description,
        "priority": ticket.priority,
        "priority_display": label(Priority, ticket.priority),
        "status": ticket.status,
        "status_display": label(Status, ticket.status),
        "catalog_entry": {"id": entry.pk, "name": entry.name, "parent": _ref(parent)},
        "queue": _ref(ticket.queue) if ticket.queue_id is not None else None,
        "assignee": _person(ticket.assignee) if ticket.assignee_id is not None else None,
        "requester": _person(ticket.requester),
        "created_by": _person(ticket.created_by),
        "channel": ticket.channel,
        "channel_display": label(Channel, ticket.channel),
        "custom_fields": _fields(ticket.custom_fields),
        "urge_count": ticket.urge_count,
        "reopen_count": ticket.reopen_count,
        "version": ticket.version,
        "tags": tag_names(ticket) if tags is None else tags,
        "resolution": ticket.resolution,
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
        "first_response_at": _when(ticket.first_response_at),
        "resolved_at": _when(ticket.resolved_at),
        "closed_at": _when(ticket.closed_at),
        "attachments": [_attachment(a) for a in files],
        "actions": workflow.available_actions(user, ticket, workflow.API),
    }
