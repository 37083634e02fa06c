"""The tags page (counts for report readers, rename / merge for tag managers) and the ticket
page's tag panel, over plain HTTP."""

import pytest

from andon.tags import services
from andon.tags.models import Tag, TicketTag


@pytest.mark.django_db
def test_tags_page_counts_and_admin_forms(world, client, django_assert_max_num_queries):
    for _ in range(3):
        services.add_tags(ticket_id=world.ticket().pk, actor=world.handler, names=["网络", "VPN"])
    client.force_login(world.handler)
    with django_assert_max_num_queries(12):
        html = client.get("/tags/").content.decode()
    assert 'data-tag="网络"' in html and "管理标签" not in html
    client.force_login(world.admin)
    for _ in range(5):
        services.add_tags(ticket_id=world.ticket().pk, actor=world.admin, names=[f"标签{_}"])
    with django_assert_max_num_queries(12):
        html = client.get("/tags/").content.decode()
    assert "管理标签" in html
    client.force_login(world.nobody)
    assert client.get("/tags/").status_code == 403


@pytest.mark.django_db
def test_rename_and_merge_pages_need_tags_manage(world, client):
    ticket = world.ticket()
    services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["网络", "网络故障"])
    network, fault = Tag.objects.get(name="网络"), Tag.objects.get(name="网络故障")
    client.force_login(world.handler)
    assert client.post(f"/tags/{network.pk}/rename/", {"name": "网"}).status_code == 403
    assert client.post(f"/tags/{fault.pk}/merge/", {"into": network.pk}).status_code == 403
    client.force_login(world.admin)
    response = client.post(f"/tags/{network.pk}/rename/", {"name": "网络故障"}, follow=True)
    assert "已存在" in response.content.decode()  # a clash is explained, nothing changes
    assert Tag.objects.get(pk=network.pk).name == "网络"
    client.post(f"/tags/{fault.pk}/merge/", {"into": network.pk})
    assert list(TicketTag.objects.filter(ticket=ticket).values_list("tag__name", flat=True)) == [
        "网络"
    ]
    assert client.post(f"/tags/{network.pk}/merge/", {"into": "x"}, follow=True).status_code == 200


@pytest.mark.django_db
def test_ticket_tag_panel_posts(world, client):
    ticket = world.ticket()
    client.force_login(world.requester)
    assert client.post(f"/tags/ticket/{ticket.pk}/", {"tags": "a"}).status_code == 403
    client.force_login(world.agent)
    assert client.post(f"/tags/ticket/{ticket.pk}/", {"tags": "a"}).status_code == 404
    client.force_login(world.handler)
    response = client.post(f"/tags/ticket/{ticket.pk}/", {"tags": "打印机, 卡纸"})
    assert response.status_code == 200 and 'data-tag="卡纸"' in response.content.decode()
    bad = client.post(f"/tags/ticket/{ticket.pk}/", {"tags": "x" * 40}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 200 and "不能超过 30 个字符" in bad.content.decode()
    suggest = client.get("/tags/suggest/", {"tags": "卡"}).content.decode()
    assert 'value="卡纸"' in suggest
