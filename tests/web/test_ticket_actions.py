"""Actions on the ticket page run through htmx: success swaps the workspace, a service error comes
back as a 4xx with the message inline in the form that caused it (never a 500)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from andon.queues.models import DispatchRule
from andon.tickets import services
from andon.tickets.models import EventKind, Status
from tests import factories
from tests.web.helpers import htmx, login

pytestmark = pytest.mark.django_db


def action(ticket, name):
    return reverse("tickets:action", args=[ticket.pk, name])


@pytest.fixture
def pool_ticket(requester):
    queue = factories.QueueFactory(dispatch_rule=DispatchRule.MANUAL)
    members = [factories.handler(), factories.handler()]
    factories.add_members(queue, *members)
    ticket = factories.make_ticket(actor=requester, entry=factories.catalog_leaf(queue))
    ticket.members = members
    return ticket


def status_of(ticket):
    ticket.refresh_from_db()
    return ticket.status


def test_claim_from_pool_swaps_the_workspace(client, pool_ticket):
    member = pool_ticket.members[0]
    login(client, member)
    html = client.get(reverse("tickets:detail", args=[pool_ticket.pk])).content.decode()
    assert 'data-action="claim"' in html
    response = htmx(client, action(pool_ticket, "claim"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="ticket-workspace"')
    assert "<html" not in html
    assert 'data-status="processing">处理中<' in html
    assert "已认领" in html
    assert status_of(pool_ticket) == Status.PROCESSING
    assert pool_ticket.assignee == member


def test_non_queue_member_cannot_claim(client, pool_ticket):
    observer = factories.observer()  # may see every ticket, is in no queue
    login(client, observer)
    html = client.get(reverse("tickets:detail", args=[pool_ticket.pk])).content.decode()
    assert 'data-action="claim"' not in html
    response = htmx(client, action(pool_ticket, "claim"))
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#action-form-claim"
    assert "只有该队列的成员可以认领" in response.content.decode()
    assert status_of(pool_ticket) == Status.PENDING


def test_second_claim_gets_a_conflict_message(client, pool_ticket):
    first, second = pool_ticket.members
    services.claim_ticket(ticket_id=pool_ticket.pk, actor=first)
    login(client, second)
    response = htmx(client, action(pool_ticket, "claim"))
    assert response.status_code == 409
    assert f"工单已由 {first.name} 处理" in response.content.decode()


def test_csrf_is_enforced_on_actions(pool_ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pool_ticket.members[0])
    response = client.post(action(pool_ticket, "claim"), HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert status_of(pool_ticket) == Status.PENDING
    # With the token (as the page sends it in hx-headers) it goes through.
    page = client.get(reverse("tickets:detail", args=[pool_ticket.pk]))
    token = page.context["csrf_token"]
    response = client.post(
        action(pool_ticket, "claim"), HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=str(token)
    )
    assert response.status_code == 200
    assert status_of(pool_ticket) == Status.PROCESSING


def test_get_on_an_action_is_not_allowed(client, ticket, handlers):
    login(client, handlers[0])
    assert client.get(action(ticket, "claim")).status_code == 405
    assert client.post(action(ticket, "explode")).status_code == 404


def test_resolve_requires_a_resolution_shown_on_the_field(client, ticket, handlers):
    login(client, handlers[0])
    response = htmx(client, action(ticket, "resolve"), {"note": "   "})
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#action-form-resolve"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert 'id="action-form-resolve"' in html
    assert "is-invalid" in html and "此项必填" in html
    assert status_of(ticket) == Status.PENDING


def test_full_handling_flow_through_htmx(client, ticket, handlers, requester):
    h = handlers[0]
    login(client, h)
    assert htmx(client, action(ticket, "accept")).status_code == 200
    assert status_of(ticket) == Status.PROCESSING
    response = htmx(client, action(ticket, "need-info"), {"note": "请提供型号"})
    assert response.status_code == 200 and "待补充" in response.content.decode()
    login(client, requester)
    response = htmx(client, action(ticket, "resume"), {"note": "HP M428"})
    assert response.status_code == 200
    assert status_of(ticket) == Status.PROCESSING
    login(client, h)
    response = htmx(client, action(ticket, "resolve"), {"note": "更换硒鼓"})
    assert response.status_code == 200
    assert "已提交解决方案" in response.content.decode()
    assert status_of(ticket) == Status.TO_CONFIRM
    login(client, requester)
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-action="confirm"' in html and 'data-action="reopen"' in html
    response = htmx(client, action(ticket, "reopen"), {"note": ""})
    assert response.status_code == 400 and "此项必填" in response.content.decode()
    assert htmx(client, action(ticket, "reopen"), {"note": "又坏了"}).status_code == 200
    assert status_of(ticket) == Status.PROCESSING
    login(client, h)
    htmx(client, action(ticket, "resolve"), {"note": "换了新机器"})
    login(client, requester)
    response = htmx(client, action(ticket, "confirm"), {"note": "谢谢"})
    assert response.status_code == 200
    assert 'data-status="done">已完成<' in response.content.decode()
    assert status_of(ticket) == Status.DONE
    response = htmx(client, action(ticket, "close"))
    assert response.status_code == 200
    assert status_of(ticket) == Status.CLOSED
    # Closed: no actions and no comment box.
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert 'data-testid="no-actions"' in html and 'id="comment-form"' not in html


def test_urge_twice_is_rate_limited_inline(client, ticket, requester):
    login(client, requester)
    assert htmx(client, action(ticket, "urge"), {"note": "急"}).status_code == 200
    response = htmx(client, action(ticket, "urge"))
    assert response.status_code == 429
    assert "催单太频繁" in response.content.decode()
    assert response["HX-Retarget"] == "#action-form-urge"
    ticket.refresh_from_db()
    assert ticket.urge_count == 1


def test_wrong_status_is_a_conflict_not_a_crash(client, ticket, requester):
    login(client, requester)
    response = htmx(client, action(ticket, "confirm"))
    assert response.status_code == 409
    assert "不能确认完成" in response.content.decode()


def test_cancel_by_requester(client, ticket, requester):
    login(client, requester)
    response = htmx(client, action(ticket, "cancel"), {"note": "已自行解决"})
    assert response.status_code == 200
    assert status_of(ticket) == Status.CANCELLED


def test_transfer_to_another_queue(client, ticket, handlers):
    other = factories.QueueFactory(name="二线")
    person = factories.handler()
    factories.add_members(other, person)
    login(client, handlers[0])
    html = client.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "二线" in html and person.name in html  # the transfer form lists queues and people
    response = htmx(client, action(ticket, "transfer"), {"queue": other.pk, "note": "网络"})
    ticket.refresh_from_db()
    assert ticket.queue == other and ticket.assignee == person
    # The ticket left the only queue that let this handler see it: back to the list, not a 404.
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("tickets:list")
    assert "已转单" in client.get(reverse("tickets:list")).content.decode()


def test_transfer_to_a_person_in_the_same_queue_stays_on_the_page(client, ticket, handlers):
    login(client, handlers[0])
    response = htmx(client, action(ticket, "transfer"), {"assignee": handlers[1].pk})
    assert response.status_code == 200
    assert "已转单" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee == handlers[1] and ticket.status == Status.PENDING


def test_transfer_without_target_is_a_field_error(client, ticket, handlers):
    login(client, handlers[0])
    response = htmx(client, action(ticket, "transfer"), {"queue": "", "assignee": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "队列或处理人至少选一个" in html and 'id="action-form-transfer"' in html


def test_comment_with_markdown_and_attachment(client, ticket, handlers, requester):
    login(client, requester)
    upload = SimpleUploadedFile("截图.png", b"\x89PNG", content_type="image/png")
    response = htmx(
        client,
        action(ticket, "comment"),
        {"body": "看这里 **重点** <script>x()</script>", "attachments": upload},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>重点</strong>" in html
    assert "<script>x()</script>" not in html
    assert "截图.png" in html
    comment = ticket.comments.get()
    assert comment.attachments.count() == 1
    assert not comment.is_internal


def test_empty_comment_shows_error_in_the_comment_form(client, ticket, requester):
    login(client, requester)
    response = htmx(client, action(ticket, "comment"), {"body": ""})
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#comment-form"
    assert "此项必填" in response.content.decode()


def test_bad_attachment_type_is_reported(client, ticket, requester):
    login(client, requester)
    upload = SimpleUploadedFile("evil.exe", b"MZ")
    response = htmx(client, action(ticket, "comment"), {"body": "附件", "attachments": upload})
    assert response.status_code == 400
    assert "不支持的附件类型" in response.content.decode()
    assert ticket.comments.count() == 0


def test_requester_cannot_post_internal_comment(client, ticket, requester):
    login(client, requester)
    response = htmx(client, action(ticket, "comment"), {"body": "x", "is_internal": "1"})
    assert response.status_code == 403
    assert "只有处理方可以发表内部评论" in response.content.decode()


def test_internal_comment_by_handler(client, ticket, handlers):
    login(client, handlers[1])
    response = htmx(client, action(ticket, "comment"), {"body": "内部说明", "is_internal": "1"})
    assert response.status_code == 200
    assert ticket.comments.get().is_internal


def test_standalone_attachment_upload(client, ticket, requester):
    login(client, requester)
    url = reverse("tickets:attach", args=[ticket.pk])
    files = [SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.log", b"b")]
    response = htmx(client, url, {"attachments": files})
    assert response.status_code == 200
    assert "a.txt" in response.content.decode() and "b.log" in response.content.decode()
    assert ticket.events.filter(kind=EventKind.ATTACHED).count() == 2
    response = htmx(client, url, {})
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#attach-form"
    response = htmx(client, url, {"attachments": SimpleUploadedFile("x.exe", b"MZ")})
    assert response.status_code == 400 and "不支持的附件类型" in response.content.decode()


def test_actions_without_htmx_redirect_or_render_errors(client, ticket, handlers):
    login(client, handlers[0])
    response = client.post(action(ticket, "accept"))
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    page = client.get(response["Location"]).content.decode()
    assert "已接单" in page
    response = client.post(action(ticket, "resolve"), {"note": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html and "此项必填" in html
    # The form that failed is opened again.
    assert "x-data=\"{ open: 'resolve' }\"" in html
