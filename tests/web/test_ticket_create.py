"""新建工单: the catalog cascade, per-field server errors and the redirect to the new ticket."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from andon.tickets.models import Ticket
from tests import factories
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

NEW = reverse("tickets:create")


def test_form_offers_the_two_level_catalog(client, entry, requester):
    retired = factories.catalog_leaf(entry.queue, name="已停用项")
    retired.is_retired = True
    retired.save()
    orphan = factories.catalog_leaf(None, name="无队列项")
    login(client, requester)
    response = client.get(NEW)
    assert response.status_code == 200
    tree = json.loads(
        response.content.decode()
        .split('<script id="catalog-tree" type="application/json">')[1]
        .split("</script>")[0]
    )
    by_name = {root["name"]: root for root in tree}
    assert by_name[entry.parent.name]["children"] == [
        {"id": entry.pk, "name": entry.name, "description": "", "usable": True}
    ]
    assert retired.parent.name not in by_name  # a level-1 with nothing fileable is left out
    assert by_name[orphan.parent.name]["children"][0]["usable"] is False
    assert "catalogPicker" in response.content.decode()


def test_successful_create_redirects_to_the_ticket(client, handlers, entry, requester):
    login(client, requester)
    upload = SimpleUploadedFile("现场.jpg", b"\xff\xd8", content_type="image/jpeg")
    response = client.post(
        NEW,
        {
            "catalog_parent": entry.parent_id,
            "catalog_entry": entry.pk,
            "title": "  投影仪不亮  ",
            "priority": "L2",
            "description": "会议室 A",
            "attachments": [upload],
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tickets:detail", args=[ticket.pk])
    assert ticket.title == "投影仪不亮" and ticket.priority == "L2"
    assert ticket.requester == requester and ticket.assignee == handlers[0]
    assert ticket.attachments.get().original_name == "现场.jpg"
    page = client.get(response["Location"]).content.decode()
    assert f"工单 {ticket.number} 已提交" in page


def test_missing_fields_are_reported_per_field(client, entry, requester):
    login(client, requester)
    response = client.post(NEW, {"catalog_parent": entry.parent_id, "title": "", "priority": "L3"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["title"] == ["此项必填"]
    assert form.errors["catalog_entry"] == ["此项必填"]
    html = response.content.decode()
    assert html.count("is-invalid") >= 2
    # What the user chose is kept.
    assert response.context["selected_parent"] == str(entry.parent_id)
    assert Ticket.objects.count() == 0


def test_level_one_entry_is_refused(client, entry, requester):
    login(client, requester)
    response = client.post(NEW, {"catalog_entry": entry.parent_id, "title": "x"})
    assert response.status_code == 400
    assert response.context["form"].errors["catalog_entry"] == ["只能选择二级服务目录"]


def test_too_long_title_and_bad_attachment(client, entry, requester):
    login(client, requester)
    response = client.post(
        NEW,
        {
            "catalog_entry": entry.pk,
            "title": "长" * 201,
            "attachments": [SimpleUploadedFile("run.exe", b"MZ")],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "不能超过 200 个字符" in errors["title"][0]
    assert "不支持的附件类型" in errors["attachments"][0]
    assert Ticket.objects.count() == 0


def test_bad_priority_is_a_field_error(client, entry, requester):
    login(client, requester)
    response = client.post(NEW, {"catalog_entry": entry.pk, "title": "x", "priority": "L9"})
    assert response.status_code == 400
    assert "priority" in response.context["form"].errors


def test_xss_in_new_ticket_is_escaped_on_the_form(client, entry, requester):
    login(client, requester)
    response = client.post(NEW, {"catalog_entry": "", "title": '"><script>alert(1)</script>'})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html


def test_without_permission_is_forbidden(client):
    login(client, factories.observer())
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, {"title": "x"}).status_code == 403
