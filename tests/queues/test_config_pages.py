"""Queue configuration pages: permissions, CSRF, the list (no N+1), create/edit with the member
picker, the queue page (load and availability), and the disable flow."""

import pytest
from django.test import Client

from andon.accounts.models import Role
from andon.queues.models import Queue, QueueMembership
from tests import factories
from tests.web.helpers import login


@pytest.fixture
def manager(db):
    role = Role.objects.create(name="队列管理", permissions=["queues.manage"])
    user = factories.UserFactory(username="qm")
    user.roles.add(role)
    return user


@pytest.fixture
def page(client, manager):
    return login(client, manager)


URLS = [
    ("get", "/config/queues/"),
    ("get", "/config/queues/new/"),
    ("get", "/config/queues/people/?q=a"),
    ("get", "/config/queues/{q}/"),
    ("get", "/config/queues/{q}/edit/"),
    ("get", "/config/queues/{q}/disable/"),
    ("post", "/config/queues/{q}/disable/"),
    ("post", "/config/queues/{q}/enable/"),
]


@pytest.mark.parametrize(("method", "url"), URLS)
def test_only_queue_managers_get_in(client, queue, method, url):
    url = url.format(q=queue.pk)
    assert getattr(client, method)(url).status_code == 302  # to the login page
    for user in (factories.handler(), factories.observer(), factories.requester()):
        login(client, user)
        assert getattr(client, method)(url).status_code == 403
    catalog_only = Role.objects.create(name="目录管理", permissions=["catalog.manage"])
    user = factories.UserFactory()
    user.roles.add(catalog_only)
    login(client, user)
    assert getattr(client, method)(url).status_code == 403
    assert Queue.objects.get(pk=queue.pk).is_enabled


def test_csrf_is_enforced(manager, queue):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post("/config/queues/new/", {"name": "新队列"}).status_code == 403
    assert client.post(f"/config/queues/{queue.pk}/disable/", {"confirm": "1"}).status_code == 403
    assert not Queue.objects.filter(name="新队列").exists()
    assert Queue.objects.get(pk=queue.pk).is_enabled


def test_list_separates_disabled_queues_with_constant_queries(
    page, django_assert_max_num_queries, requester
):
    for n in range(6):
        q = factories.QueueFactory(name=f"队列{n}", is_enabled=n % 3 != 0)
        factories.add_members(q, factories.handler(), factories.handler())
        factories.catalog_leaf(q)
    with django_assert_max_num_queries(8):
        response = page.get("/config/queues/")
    assert response.status_code == 200
    html = response.content.decode()
    enabled_part, disabled_part = html.split('data-testid="disabled-queues"')
    assert "队列1" in enabled_part and "队列0" not in enabled_part
    assert "队列0" in disabled_part and "队列3" in disabled_part and "重新启用" in disabled_part


def test_create_with_members_and_error_for_a_long_name(page):
    a, b = factories.handler(display_name="甲"), factories.handler(display_name="乙")
    response = page.post(
        "/config/queues/new/",
        {"name": "长" * 26, "dispatch_rule": "round_robin", "members": [b.pk, a.pk]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "队列名称最多 25 个字符，当前 26 个" in html
    # The picked members are shown again, in order.
    assert html.index("乙") < html.index("甲")
    response = page.post(
        "/config/queues/new/",
        {
            "name": "桌面运维",
            "description": "桌面",
            "dispatch_rule": "manual",
            "members": [b.pk, a.pk],
        },
    )
    queue = Queue.objects.get(name="桌面运维")
    assert response.status_code == 302
    assert response["Location"] == f"/config/queues/{queue.pk}/"
    assert queue.dispatch_rule == "manual"
    assert list(queue.memberships.values_list("user_id", flat=True)) == [b.pk, a.pk]


def test_bad_member_values_are_refused(page):
    response = page.post("/config/queues/new/", {"name": "x", "members": ["abc"]})
    assert response.status_code == 400
    assert not Queue.objects.filter(name="x").exists()


def test_edit_replaces_members(page, queue):
    a, b = factories.handler(), factories.handler()
    factories.add_members(queue, a)
    response = page.get(f"/config/queues/{queue.pk}/edit/")
    assert f'name="members" value="{a.pk}"' in response.content.decode()
    response = page.post(
        f"/config/queues/{queue.pk}/edit/",
        {"name": queue.name, "dispatch_rule": "round_robin", "members": [b.pk]},
    )
    assert response.status_code == 302
    assert list(QueueMembership.objects.filter(queue=queue).values_list("user_id", flat=True)) == [
        b.pk
    ]


def test_people_search_returns_active_people_not_yet_picked(page):
    wang = factories.handler(username="wangfang", display_name="王芳<b>")
    picked = factories.handler(username="wangwu", display_name="王五")
    factories.handler(username="wangliu", display_name="王六", is_active=False)
    response = page.get("/config/queues/people/", {"q": "wang", "members": [picked.pk]})
    html = response.content.decode()
    assert f'data-member-id="{wang.pk}"' in html
    assert "王芳&lt;b&gt;" in html  # escaped
    assert "王五" not in html and "王六" not in html


def test_queue_page_shows_load_and_availability_without_n_plus_1(
    page, queue, requester, django_assert_max_num_queries
):
    people = [factories.handler(is_available=n != 1) for n in range(5)]
    factories.add_members(queue, *people)
    entry = factories.catalog_leaf(queue)
    for _ in range(3):
        factories.make_ticket(actor=requester, entry=entry)
    with django_assert_max_num_queries(10):
        response = page.get(f"/config/queues/{queue.pk}/")
    html = response.content.decode()
    assert html.count('data-testid="available"') == 4
    assert html.count('data-testid="unavailable"') == 1
    # Round robin skipped the unavailable member: people 0, 2, 3 have one ticket each.
    assert html.count('<td class="text-end" data-testid="queue-open">1</td>') == 3
    assert "OLA 策略" in html


def test_queue_page_links_to_the_ola_policy_when_that_page_exists(page, queue):
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("config:ola-policy", kwargs={"queue_id": queue.pk})
    except NoReverseMatch:
        url = None
    html = page.get(f"/config/queues/{queue.pk}/").content.decode()
    if url:
        assert f'href="{url}"' in html
    else:
        assert "将在这里配置" in html


def test_disable_flow_shows_impact_then_requires_confirmation(page, queue):
    entry = factories.catalog_leaf(queue, name="打印机")
    response = page.get(f"/config/queues/{queue.pk}/disable/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert f"{entry.parent.name} / 打印机" in html
    assert "<html" not in html  # a fragment for htmx
    response = page.post(f"/config/queues/{queue.pk}/disable/", HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#queue-disable-panel"
    assert "请确认后再停用" in response.content.decode()
    assert Queue.objects.get(pk=queue.pk).is_enabled
    response = page.post(f"/config/queues/{queue.pk}/disable/", {"confirm": "1"})
    assert response.status_code == 302
    assert not Queue.objects.get(pk=queue.pk).is_enabled
    # The catalog now flags the entry.
    catalog_admin = factories.admin()
    login(page, catalog_admin)
    html = page.get(f"/config/catalog/?selected={entry.parent_id}").content.decode()
    assert 'data-testid="no-queue-badge"' in html
    login(page, factories.admin())
    response = page.post(f"/config/queues/{queue.pk}/enable/")
    assert response.status_code == 302
    assert Queue.objects.get(pk=queue.pk).is_enabled


def test_enable_ignores_an_offsite_next(page, queue):
    queue.is_enabled = False
    queue.save()
    response = page.post(f"/config/queues/{queue.pk}/enable/", {"next": "https://evil.example/"})
    assert response["Location"] == "/config/queues/"


def test_unknown_queue_is_404(page):
    assert page.get("/config/queues/99999/").status_code == 404
    assert page.post("/config/queues/99999/disable/").status_code == 404


def test_config_index_links_to_queues(page):
    assert 'href="/config/queues/"' in page.get("/config/").content.decode()
