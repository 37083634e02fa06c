"""Tags: tagging through the ticket's lock and log, on-the-fly creation, rename and merge by
holders of `tags.manage`, the list filter and the counts by tag, over the API."""

import pytest

from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from andon.tags import selectors, services
from andon.tags.models import Tag, TicketTag
from andon.tickets.models import EventKind, Status
from tests.api.conftest import assert_error


def _tags(ticket):
    return sorted(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True))


@pytest.mark.django_db
def test_handler_tags_a_ticket_creating_tags_and_the_log_shows_it(world):
    ticket = world.ticket()
    services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["打印机", " 卡纸  问题 "])
    assert _tags(ticket) == ["卡纸 问题", "打印机"]
    event = ticket.events.filter(kind=EventKind.UPDATED).last()
    assert event.before == {"tags": []}
    assert sorted(event.after["tags"]) == ["卡纸 问题", "打印机"]
    assert event.actor == world.handler
    # Same names in another letter case reuse the tags and change nothing.
    services.add_tags(ticket_id=ticket.pk, actor=world.admin, names=["打印机"])
    assert ticket.events.filter(kind=EventKind.UPDATED).count() == 1
    services.add_tags(ticket_id=world.ticket().pk, actor=world.handler, names=["VPN"])
    services.add_tags(ticket_id=world.ticket().pk, actor=world.handler, names=["vpn"])
    assert Tag.objects.filter(name__iexact="vpn").count() == 1


@pytest.mark.django_db
def test_only_the_handling_side_tags(world):
    ticket = world.ticket()
    for person in (world.requester, world.observer):
        with pytest.raises(PermissionDenied):
            services.add_tags(ticket_id=ticket.pk, actor=person, names=["x"])
    assert not Tag.objects.exists()  # a refused tagging creates no tag either


@pytest.mark.django_db
@pytest.mark.parametrize(
    "names",
    [[], [""], ["a,b"], ["x" * 31], [None], "", [f"t{i}" for i in range(21)], {"a": 1}],
)
def test_bad_tag_names_are_refused_and_nothing_is_written(world, names):
    ticket = world.ticket()
    with pytest.raises(ValidationFailed):
        services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=names)
    assert not Tag.objects.exists()
    assert not ticket.events.filter(kind=EventKind.UPDATED).exists()


@pytest.mark.django_db
def test_remove_tag_logs_and_unknown_tag_is_not_found(world, api):
    ticket = world.ticket()
    services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["网络", "打印机"])
    tag = Tag.objects.get(name="网络")
    response = api(world.handler).delete(f"/api/v1/tickets/{ticket.pk}/tags/{tag.pk}/")
    assert response.status_code == 204
    assert _tags(ticket) == ["打印机"]
    event = ticket.events.filter(kind=EventKind.UPDATED).last()
    assert event.before["tags"] == ["打印机", "网络"] or sorted(event.before["tags"]) == [
        "打印机",
        "网络",
    ]
    assert event.after == {"tags": ["打印机"]}
    again = api(world.handler).delete(f"/api/v1/tickets/{ticket.pk}/tags/{tag.pk}/")
    assert_error(again, 404)
    # The requester sees the ticket but may not untag it.
    other = Tag.objects.get(name="打印机")
    refused = api(world.requester).delete(f"/api/v1/tickets/{ticket.pk}/tags/{other.pk}/")
    assert_error(refused, 403)
    assert _tags(ticket) == ["打印机"]


@pytest.mark.django_db
def test_rename_and_merge_are_for_tag_managers(world):
    a, b = world.ticket(), world.ticket()
    services.add_tags(ticket_id=a.pk, actor=world.handler, names=["打印机", "卡纸"])
    services.add_tags(ticket_id=b.pk, actor=world.handler, names=["打印机故障"])
    printer = Tag.objects.get(name="打印机")
    printer_fault = Tag.objects.get(name="打印机故障")
    with pytest.raises(PermissionDenied):
        services.rename_tag(actor=world.handler, tag_id=printer.pk, name="打印")
    with pytest.raises(Conflict):
        services.rename_tag(actor=world.admin, tag_id=printer.pk, name="打印机故障")
    services.rename_tag(actor=world.admin, tag_id=printer.pk, name="打印设备")
    assert _tags(a) == ["卡纸", "打印设备"]
    with pytest.raises(PermissionDenied):
        services.merge_tags(actor=world.handler, source_id=printer_fault.pk, target_id=printer.pk)
    with pytest.raises(ValidationFailed):
        services.merge_tags(actor=world.admin, source_id=printer.pk, target_id=printer.pk)
    services.merge_tags(actor=world.admin, source_id=printer_fault.pk, target_id=printer.pk)
    assert not Tag.objects.filter(pk=printer_fault.pk).exists()
    assert _tags(b) == ["打印设备"]
    event = b.events.filter(kind=EventKind.UPDATED).last()
    assert event.before == {"tags": ["打印机故障"]} and event.after == {"tags": ["打印设备"]}
    assert event.actor == world.admin
    # A used tag is not deleted (its tickets would lose a label without an event).
    with pytest.raises(Conflict):
        services.delete_tag(actor=world.admin, tag_id=printer.pk)


@pytest.mark.django_db
def test_list_filter_and_counts_by_tag(world, api):
    a, b, c = world.ticket(), world.ticket(Status.DONE), world.ticket()
    services.add_tags(ticket_id=a.pk, actor=world.handler, names=["网络", "VPN"])
    services.add_tags(ticket_id=b.pk, actor=world.handler, names=["网络"])
    services.add_tags(ticket_id=c.pk, actor=world.handler, names=["打印机"])
    network = Tag.objects.get(name="网络")
    vpn = Tag.objects.get(name="VPN")
    listed = api(world.handler).get(f"/api/v1/tickets/?tag={network.pk}").json()["results"]
    assert sorted(t["id"] for t in listed) == sorted([a.pk, b.pk])
    assert next(t for t in listed if t["id"] == a.pk)["tags"] == ["VPN", "网络"]
    both = api(world.handler).get(f"/api/v1/tickets/?tag={network.pk},{vpn.pk}").json()
    assert sorted(t["id"] for t in both["results"]) == sorted([a.pk, b.pk])  # one row each
    assert_error(api(world.handler).get("/api/v1/tickets/?tag=abc"), 400, field="tag")
    report = api(world.handler).get("/api/v1/reports/by-tag/").json()
    assert report[0] == {"id": network.pk, "name": "网络", "total": 2, "open": 1}
    # The counts cover only what the caller may see: the unrelated agent sees nothing.
    assert selectors.tag_counts(world.agent) == []


@pytest.mark.django_db
def test_api_tagging_and_admin_endpoints(world, api):
    ticket = world.ticket()
    response = api(world.handler).post(
        f"/api/v1/tickets/{ticket.pk}/tags/", {"tags": ["数据库", "慢查询"]}, format="json"
    )
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["慢查询", "数据库"] or sorted(
        t["name"] for t in response.json()
    ) == ["慢查询", "数据库"]
    assert_error(
        api(world.handler).post(
            f"/api/v1/tickets/{ticket.pk}/tags/", {"tags": ["a,b"]}, format="json"
        ),
        400,
    )
    assert_error(
        api(world.handler).post(f"/api/v1/tickets/{ticket.pk}/tags/", {"tags": "x"}, format="json"),
        400,
    )
    tag = Tag.objects.get(name="数据库")
    assert_error(
        api(world.handler).patch(f"/api/v1/tags/{tag.pk}/", {"name": "DB"}, format="json"), 403
    )
    renamed = api(world.admin).patch(f"/api/v1/tags/{tag.pk}/", {"name": "DB"}, format="json")
    assert renamed.json() == {"id": tag.pk, "name": "DB"}
    assert api(world.handler).get(f"/api/v1/tickets/{ticket.pk}/").json()["tags"] == [
        "DB",
        "慢查询",
    ]
    slow = Tag.objects.get(name="慢查询")
    merged = api(world.admin).post(
        f"/api/v1/tags/{slow.pk}/merge/", {"into": tag.pk}, format="json"
    )
    assert merged.status_code == 200
    assert api(world.handler).get(f"/api/v1/tickets/{ticket.pk}/tags/").json() == [
        {"id": tag.pk, "name": "DB"}
    ]
    assert_error(
        api(world.admin).post(f"/api/v1/tags/{tag.pk}/merge/", {"into": 999999}, format="json"),
        404,
    )
    created = api(world.handler).post("/api/v1/tags/", {"name": "新标签"}, format="json")
    assert created.status_code == 201
    assert_error(api(world.handler).post("/api/v1/tags/", {"name": "新标签"}, format="json"), 409)
    assert_error(api(world.requester).post("/api/v1/tags/", {"name": "x"}, format="json"), 403)
    assert api(world.admin).delete(f"/api/v1/tags/{created.json()['id']}/").status_code == 204


@pytest.mark.django_db
def test_the_ticket_page_shows_tag_changes_in_the_log(world, client):
    ticket = world.ticket()
    services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["<b>网络</b>"])
    client.force_login(world.handler)
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert "标签：「（无）」→「&lt;b&gt;网络&lt;/b&gt;」" in html
    assert "<b>网络</b>" not in html
