"""The ticket page's people panel and edit form, through Django's test client: who gets which
controls, what each post does, errors with their status in place, and the stale-form conflict."""

import pytest
from django.utils import translation

from andon.tickets import services
from andon.tickets.models import Collaborator, EventKind, Ticket
from tests import factories
from tests.web.helpers import htmx, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(ticket, handlers):
    services.claim_ticket(ticket_id=ticket.pk, actor=handlers[0])
    return Ticket.objects.get(pk=ticket.pk)


def test_the_handler_gets_the_panels_and_the_requester_only_copies(client, held, requester):
    login(client, held.assignee)
    html = client.get(f"/tickets/{held.pk}/").content.decode()
    assert 'data-testid="add-collaborator-form"' in html
    assert 'data-testid="add-cc-form"' in html and 'data-testid="edit-form"' in html
    assert 'data-action="take-over"' not in html  # already theirs
    login(client, requester)
    html = client.get(f"/tickets/{held.pk}/").content.decode()
    assert 'data-testid="add-collaborator-form"' not in html
    assert 'data-testid="add-cc-form"' in html
    # the requester edits title and description, but cannot move the ticket
    assert 'name="catalog_entry"' not in html


def test_a_teammate_sees_take_over_with_its_confirmation(client, held, handlers):
    login(client, handlers[1])
    html = client.get(f"/tickets/{held.pk}/").content.decode()
    assert 'data-action="take-over"' in html
    assert held.assignee.name in html and 'data-testid="take-over-confirm"' in html
    response = client.post(f"/tickets/{held.pk}/take-over/", {"note": ""})
    assert response.status_code == 302
    assert Ticket.objects.get(pk=held.pk).assignee == handlers[1]


def test_pulling_in_and_errors_in_place(client, held, handlers):
    engineer = factories.handler()
    login(client, held.assignee)
    url = f"/tickets/{held.pk}/people/add-collaborator/"
    response = htmx(client, url, {"user": engineer.pk})
    assert response.status_code == 200
    assert Collaborator.objects.filter(ticket=held, user=engineer).exists()
    again = htmx(client, url, {"user": engineer.pk})
    assert again.status_code == 409 and again["HX-Retarget"] == "#ticket-people"
    assert "已是协作人" in again.content.decode()
    bad = htmx(client, url, {"user": "x", "queue": ""})
    assert bad.status_code == 400
    # a teammate may not; an outsider does not even find the ticket
    login(client, handlers[1])
    assert client.post(url, {"user": engineer.pk}).status_code == 403
    login(client, factories.requester())
    assert client.post(url, {"user": engineer.pk}).status_code == 404
    assert client.post(f"/tickets/{held.pk}/people/no-such-op/").status_code == 404
    assert client.get(url).status_code == 405


def test_follow_leave_and_cc_by_post(client, held, requester):
    engineer = factories.handler()
    services.add_collaborator(ticket_id=held.pk, actor=held.assignee, user_id=engineer.pk)
    login(client, engineer)
    assert client.post(f"/tickets/{held.pk}/people/watch/").status_code == 302
    assert held.watchers.filter(user=engineer).exists()
    assert client.post(f"/tickets/{held.pk}/people/leave/").status_code == 302
    assert not held.collaborators.exists() and not held.watchers.exists()
    login(client, requester)
    response = htmx(
        client, f"/tickets/{held.pk}/people/add-cc/", {"email": "boss@example.com", "name": "老板"}
    )
    assert response.status_code == 200
    assert "boss@example.com" in response.content.decode()
    assert held.events.filter(kind=EventKind.CC_ADDED).count() == 1


def test_the_edit_form_saves_and_refuses_a_stale_version(client, held, requester):
    owner = held.assignee
    login(client, owner)
    url = f"/tickets/{held.pk}/edit/"
    form = {
        "version": "1",
        "title": "新标题",
        "description": held.description,
        "priority": "L2",
        "catalog_entry": str(held.catalog_entry_id),
    }
    assert htmx(client, url, form).status_code == 200
    ticket = Ticket.objects.get(pk=held.pk)
    assert (ticket.title, ticket.priority, ticket.version) == ("新标题", "L2", 2)
    # the requester saves a title from the same old version: 409, explained in the form
    login(client, requester)
    stale = htmx(client, url, {**form, "title": "另一个标题"})
    assert stale.status_code == 409 and stale["HX-Retarget"] == "#ticket-edit-form"
    assert owner.name in stale.content.decode()
    page = client.post(url, {**form, "title": "另一个标题"})  # without htmx: the whole page
    assert page.status_code == 409 and 'data-testid="edit-error"' in page.content.decode()
    assert Ticket.objects.get(pk=held.pk).title == "新标题"
    # bad input: an empty title
    empty = htmx(client, url, {**form, "version": "2", "title": ""})
    assert empty.status_code == 400
    # someone who may not edit gets no form
    login(client, factories.handler())
    assert client.get(url).status_code == 404


def test_the_edit_form_reloads_the_fields_of_another_entry(client, held, queue):
    other = factories.catalog_leaf(queue, name="扫描仪")
    factories.custom_field(other, "model", name="型号", required=True)
    login(client, held.assignee)
    url = f"/tickets/{held.pk}/edit/"
    response = client.get(url, {"catalog_entry": other.pk, "title": "草稿标题"})
    html = response.content.decode()
    assert response.status_code == 200 and 'name="custom_fields.model"' in html
    assert "草稿标题" in html  # what was typed survives the reload
    assert client.head(url).status_code == 200
    missing = client.post(
        url, {"version": "1", "title": held.title, "catalog_entry": other.pk, "priority": "L3"}
    )
    assert missing.status_code == 400 and "型号为必填项" in missing.content.decode()
    saved = client.post(
        url,
        {
            "version": "1",
            "title": held.title,
            "catalog_entry": other.pk,
            "priority": "L3",
            "custom_fields.model": "DS-530",
        },
    )
    assert saved.status_code == 302
    assert Ticket.objects.get(pk=held.pk).custom_fields == {"model": "DS-530"}


def test_the_new_texts_have_english():
    with translation.override("en"):
        assert translation.gettext("接手") == "Take over"
        assert translation.gettext("修改已保存") == "Changes saved"
        assert translation.gettext("{who} 从 {previous} 手中接手了工单") == (
            "{who} took the ticket over from {previous}"
        )
