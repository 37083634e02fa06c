"""The catalog configuration page: permissions, CSRF, the tree without N+1, and every in-place
action with its inline errors."""

import pytest
from django.test import Client

from andon.accounts.models import Role
from andon.catalog.models import CatalogEntry
from tests import factories
from tests.web.helpers import login

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "catalog-tree"}


@pytest.fixture
def manager(db):
    role = Role.objects.create(name="目录管理", permissions=["catalog.manage"])
    user = factories.UserFactory(username="cm")
    user.roles.add(role)
    return user


@pytest.fixture
def page(client, manager):
    return login(client, manager)


@pytest.fixture
def it(db):
    return factories.CatalogEntryFactory(name="IT 服务")


@pytest.fixture
def printer(it, queue):
    return factories.CatalogEntryFactory(name="打印机", parent=it, queue=queue, order=1)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/config/catalog/"),
        ("post", "/config/catalog/entries/"),
        ("post", "/config/catalog/entries/{e}/rename/"),
        ("post", "/config/catalog/entries/{e}/rebind/"),
        ("post", "/config/catalog/entries/{e}/retire/"),
        ("post", "/config/catalog/entries/{e}/move/"),
    ],
)
def test_only_catalog_managers_get_in(client, printer, method, url):
    url = url.format(e=printer.pk)
    data = {"name": "改名"} if method == "post" else None
    assert getattr(client, method)(url, data).status_code == 302
    queues_only = Role.objects.create(name="队列管理", permissions=["queues.manage"])
    other = factories.UserFactory()
    other.roles.add(queues_only)
    for user in (factories.handler(), factories.observer(), other):
        login(client, user)
        assert getattr(client, method)(url, data).status_code == 403
    printer.refresh_from_db()
    assert printer.name == "打印机" and not printer.is_retired


def test_csrf_is_enforced(manager, printer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    response = client.post(f"/config/catalog/entries/{printer.pk}/rename/", {"name": "x"})
    assert response.status_code == 403
    assert CatalogEntry.objects.get(pk=printer.pk).name == "打印机"


def test_tree_renders_with_constant_queries(page, queue, django_assert_max_num_queries):
    disabled = factories.QueueFactory(name="旧队列", is_enabled=False)
    for n in range(5):
        root = factories.CatalogEntryFactory(name=f"一级{n}", order=n)
        for m in range(4):
            factories.CatalogEntryFactory(
                name=f"二级{n}-{m}", parent=root, queue=disabled if m == 0 else queue
            )
    first = CatalogEntry.objects.get(name="一级0")
    with django_assert_max_num_queries(6):
        response = page.get(f"/config/catalog/?selected={first.pk}")
    html = response.content.decode()
    assert html.count('data-testid="level1-item"') == 5
    assert html.count('data-testid="level2-item"') == 4
    assert html.count('data-testid="no-queue-badge"') == 1
    assert "派单队列「旧队列」已停用" in html
    assert html.count('data-testid="problem-badge"') == 5


def test_add_level1_then_level2_in_place(page, queue):
    response = page.post("/config/catalog/entries/", {"name": "IT 服务"}, **HX)
    assert response.status_code == 200
    root = CatalogEntry.objects.get(name="IT 服务")
    html = response.content.decode()
    assert "<html" not in html and "「IT 服务」下的二级目录" in html
    response = page.post(
        "/config/catalog/entries/", {"name": "打印机", "parent": root.pk, "queue": queue.pk}, **HX
    )
    assert response.status_code == 200
    child = CatalogEntry.objects.get(name="打印机")
    assert (child.parent, child.queue) == (root, queue)


def test_errors_are_shown_inline_on_the_form_that_caused_them(page, it, printer):
    response = page.post("/config/catalog/entries/", {"name": "it服务"}, **HX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#catalog-tree"
    html = response.content.decode()
    assert "一级目录「it服务」已存在（名称不区分大小写和空格）" in html
    assert 'value="it服务"' in html  # the typed value is kept

    response = page.post("/config/catalog/entries/", {"name": "扫描仪", "parent": it.pk}, **HX)
    assert response.status_code == 400
    assert "二级目录必须绑定派单队列" in response.content.decode()

    response = page.post(
        f"/config/catalog/entries/{printer.pk}/rename/", {"name": "<script>x</script>"}, **HX
    )
    assert response.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in response.content.decode()
    assert "<script>x</script>" not in response.content.decode()


def test_rename_rebind_retire_and_move(page, it, printer, queue):
    scanner = factories.CatalogEntryFactory(name="扫描仪", parent=it, queue=queue, order=2)
    other = factories.QueueFactory(name="网络组")
    base = "/config/catalog/entries/"
    assert page.post(f"{base}{printer.pk}/rename/", {"name": "打印"}, **HX).status_code == 200
    assert page.post(f"{base}{printer.pk}/rebind/", {"queue": other.pk}, **HX).status_code == 200
    bad = page.post(f"{base}{printer.pk}/rebind/", {"queue": "abc"}, **HX)
    assert bad.status_code == 400 and "队列不存在" in bad.content.decode()
    assert page.post(f"{base}{scanner.pk}/move/", {"direction": "up"}, **HX).status_code == 200
    assert page.post(f"{base}{printer.pk}/retire/", {"retired": "1"}, **HX).status_code == 200
    printer.refresh_from_db()
    assert (printer.name, printer.queue, printer.is_retired) == ("打印", other, True)
    order = list(it.children.order_by("order", "id").values_list("name", flat=True))
    assert order == ["扫描仪", "打印"]
    response = page.post(f"{base}{printer.pk}/retire/", {"retired": "0"})
    assert response.status_code == 302
    assert response["Location"] == f"/config/catalog/?selected={it.pk}"
    assert not CatalogEntry.objects.get(pk=printer.pk).is_retired


def test_config_index_links_to_the_catalog(page):
    assert 'href="/config/catalog/"' in page.get("/config/").content.decode()
