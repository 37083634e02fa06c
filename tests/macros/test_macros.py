"""Canned replies: personal and queue-shared, placeholders filled in safely, and applying one
posts the reply and makes its changes through the ticket services — all or nothing."""

import pytest

from andon.core.errors import NotFound, PermissionDenied, ValidationFailed
from andon.macros import placeholders, services
from andon.macros.models import Macro
from andon.tags.models import TicketTag
from andon.tickets.models import Comment, EventKind, Status
from tests.api.conftest import assert_error


@pytest.mark.django_db
def test_personal_and_shared_visibility_and_who_writes(world, api):
    mine = services.create_macro(actor=world.handler, name="重启", body="请重启电脑")
    assert mine.owner == world.handler and mine.queue is None
    with pytest.raises(PermissionDenied):
        services.create_macro(actor=world.handler, name="共享", body="x", queue=world.queue.pk)
    shared = services.create_macro(actor=world.admin, name="共享", body="x", queue=world.queue.pk)
    assert shared.owner is None
    names = lambda user: sorted(m["name"] for m in api(user).get("/api/v1/macros/").json())  # noqa: E731
    assert names(world.handler) == ["共享", "重启"]
    assert names(world.teammate) == ["共享"]  # a member of the queue, not the owner
    assert names(world.agent) == []
    with pytest.raises(NotFound):
        services.update_macro(actor=world.teammate, macro_id=mine.pk, name="偷改")
    with pytest.raises(PermissionDenied):
        services.update_macro(actor=world.teammate, macro_id=shared.pk, name="偷改")
    with pytest.raises(PermissionDenied):
        services.create_macro(actor=world.requester, name="x", body="x")
    assert_error(api(world.teammate).delete(f"/api/v1/macros/{shared.pk}/"), 403)
    assert api(world.admin).delete(f"/api/v1/macros/{shared.pk}/").status_code == 204


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "body": "x"},
        {"name": "x" * 61, "body": "x"},
        {"name": "x", "body": "x" * 5001},
        {"name": "x", "body": "x", "step": "explode"},
        {"name": "x", "body": "x", "priority": "L9"},
        {"name": "x", "body": "", "step": "resolve"},
        {"name": "x", "body": "x", "step": "need-info", "is_internal": True},
        {"name": "x", "body": "x", "tags": ["a,b"]},
        {"name": "x", "body": "x", "queue": 999999},
    ],
)
def test_bad_macros_are_refused(world, data):
    with pytest.raises((ValidationFailed, PermissionDenied)):
        services.create_macro(actor=world.admin, **data)
    assert not Macro.objects.exists()


@pytest.mark.django_db
def test_placeholders_are_filled_and_escaped(world):
    world.requester.display_name = "<b>王</b>_[x](javascript:1)"
    world.requester.save()
    ticket = world.ticket()
    macro = services.create_macro(
        actor=world.handler,
        name="问候",
        body="{requester} 您好，{ticket_number}（{ticket_title}）由 {handler} 处理。"
        "{unknown} {requester.password}",
    )
    text = services.render_for(macro, ticket=ticket, actor=world.handler)
    assert text.startswith(r"<b\>王</b\>\_\[x\](javascript:1) 您好")
    assert f"{ticket.number}（{ticket.title}）由 {world.handler.name} 处理" in text
    assert "{unknown} {requester.password}" in text
    services.apply_macro(actor=world.handler, ticket_id=ticket.pk, macro_id=macro.pk)
    comment = Comment.objects.get(ticket=ticket)
    from andon.core.markdown import render_markdown

    html = str(render_markdown(comment.body))
    assert "<b>" not in html and "href" not in html  # shown as typed: no markup, no link
    assert "&lt;b&gt;王&lt;/b&gt;_[x](javascript:1)" in html
    assert placeholders.escape_markdown("a*b") == r"a\*b"


@pytest.mark.django_db
def test_apply_sets_priority_tags_and_status_all_or_nothing(world, api):
    ticket = world.ticket(Status.PROCESSING)
    macro = services.create_macro(
        actor=world.handler,
        name="已修复",
        body="{requester}，已为您处理好。",
        step="resolve",
        priority="L2",
        tags=["已修复"],
    )
    response = api(world.handler).post(
        f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply/", {}, format="json"
    )
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.status == Status.TO_CONFIRM
    assert ticket.priority == "L2"
    assert ticket.resolution.endswith("已为您处理好。")
    assert list(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True)) == [
        "已修复"
    ]
    # Applied again, the resolve step is refused (待确认): nothing of it happens, not even the tag.
    other = services.create_macro(
        actor=world.handler, name="再来", body="再次解决", step="resolve", tags=["另一个"]
    )
    refused = api(world.handler).post(
        f"/api/v1/tickets/{ticket.pk}/macros/{other.pk}/apply/", {}, format="json"
    )
    assert_error(refused, 409)
    assert not TicketTag.objects.filter(ticket=ticket, tag__name="另一个").exists()
    assert ticket.events.filter(kind=EventKind.RESOLVED).count() == 1


@pytest.mark.django_db
def test_ticket_macros_are_rendered_and_apply_needs_visibility(world, api):
    ticket = world.ticket()
    macro = services.create_macro(actor=world.handler, name="编号", body="您的工单 {ticket_number}")
    listed = api(world.handler).get(f"/api/v1/tickets/{ticket.pk}/macros/").json()
    assert listed[0]["rendered"] == f"您的工单 {ticket.number}"
    assert_error(api(world.agent).get(f"/api/v1/tickets/{ticket.pk}/macros/"), 404)
    assert_error(
        api(world.teammate).post(
            f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply/", {}, format="json"
        ),
        404,  # someone else's personal reply
    )
    edited = api(world.handler).post(
        f"/api/v1/tickets/{ticket.pk}/macros/{macro.pk}/apply/",
        {"body": "改过的回复", "is_internal": True},
        format="json",
    )
    assert edited.status_code == 200
    comment = Comment.objects.get(ticket=ticket)
    assert comment.body == "改过的回复" and comment.is_internal
    assert_error(
        api(world.handler).patch(f"/api/v1/macros/{macro.pk}/", {"step": "nope"}, format="json"),
        400,
    )
    assert (
        api(world.handler)
        .patch(f"/api/v1/macros/{macro.pk}/", {"name": "新名字"}, format="json")
        .json()["name"]
        == "新名字"
    )
