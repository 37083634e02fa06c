"""`get_visible_ticket` is the one "visible or not found" read: on every surface a ticket the
caller may not see answers exactly like one that does not exist — 404, never 403, the same body —
for GET, HEAD and POST alike."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from andon.tickets import services
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db

MISSING = 987654321

# (surface, method, path); {pk} is the ticket, {aid} one of its attachments.
ROUTES = [
    ("web", "get", "/tickets/{pk}/"),
    ("web", "head", "/tickets/{pk}/"),
    ("web", "post", "/tickets/{pk}/claim/"),
    ("web", "post", "/tickets/{pk}/comment/"),
    ("web", "post", "/tickets/{pk}/attachments/"),
    ("web", "get", "/tickets/{pk}/attachments/{aid}/"),
    ("portal", "get", "/portal/tickets/{pk}/"),
    ("portal", "head", "/portal/tickets/{pk}/"),
    ("portal", "post", "/portal/tickets/{pk}/urge/"),
    ("knowledge", "get", "/knowledge/tickets/{pk}/smart/"),
    ("knowledge", "post", "/knowledge/tickets/{pk}/to-article/"),
    ("api", "get", "/api/v1/tickets/{pk}/"),
    ("api", "head", "/api/v1/tickets/{pk}/"),
    ("api", "patch", "/api/v1/tickets/{pk}/"),
    ("api", "post", "/api/v1/tickets/{pk}/claim/"),
    ("api", "post", "/api/v1/tickets/{pk}/resolve/"),
    ("api", "get", "/api/v1/tickets/{pk}/comments/"),
    ("api", "post", "/api/v1/tickets/{pk}/comments/"),
    ("api", "get", "/api/v1/tickets/{pk}/events/"),
    ("api", "get", "/api/v1/tickets/{pk}/attachments/{aid}/"),
    ("api", "get", "/api/v1/tickets/{pk}/ola/"),
    ("api", "get", "/api/v1/tickets/{pk}/suggestions/"),
    ("api", "post", "/api/v1/tickets/{pk}/to-article/"),
]
BODIES = {"post": {"note": "x", "body": "x", "resolution": "x"}, "patch": {"title": "x"}}


@pytest.fixture
def hidden(handlers, entry, requester):
    ticket = factories.make_ticket(actor=requester, entry=entry, title="绝密的标题")
    upload = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    attachment = services.add_attachment(ticket_id=ticket.pk, actor=requester, upload=upload)
    return ticket, attachment


@pytest.fixture
def outsider(db):
    """Handles tickets (so no page refuses them outright) in another queue: sees none of these."""
    other = factories.QueueFactory()
    person = factories.handler()
    factories.add_members(other, person)
    return person


def _client(surface, user):
    if surface == "api":
        return client_for(user)
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("surface, method, path", ROUTES)
def test_hidden_is_missing(hidden, outsider, surface, method, path):
    ticket, attachment = hidden
    client = _client(surface, outsider)
    answers = []
    for pk in (ticket.pk, MISSING):
        url = path.format(pk=pk, aid=attachment.pk)
        kwargs = {"format": "json"} if surface == "api" and method != "head" else {}
        call = getattr(client, method)
        response = call(url, BODIES.get(method, {}), **kwargs) if method != "head" else call(url)
        answers.append((response.status_code, response.content))
    assert answers[0][0] == answers[1][0] == 404, answers[0]
    if surface == "api":
        assert answers[0][1] == answers[1][1]  # the same error body
    else:
        # Pages name the address they were asked for; nothing of the ticket shows.
        assert ticket.title not in answers[0][1].decode()
