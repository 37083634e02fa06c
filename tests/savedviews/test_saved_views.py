"""Saved views of the ticket list: personal and shared views (filters, columns, sort), the
default view, tab counts, who may share / edit / delete, bad input, and the API."""

import re

import pytest
from django.urls import reverse

from andon.core.errors import Conflict, NotFound, PermissionDenied
from andon.savedviews import services
from andon.savedviews.models import SavedView
from andon.savedviews.views.listing import capped_count, view_queryset
from andon.tickets.models import Ticket
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db
LIST = reverse("tickets:list")
VIEWS = "/api/v1/views/"


def ids_on(response) -> list[int]:
    table = response.content.decode().split('<div class="list-group list-group-flush d-md-none')[0]
    return [int(x) for x in re.findall(r'<tr data-ticket="(\d+)"', table)]


def make_view(actor, name="L1 紧急", **kwargs):
    values = {
        "tab": "all",
        "filters": {"priority": "L1"},
        "columns": ["number", "title", "priority", "requester"],
        "sort": "-id",
    }
    values.update(kwargs)
    return services.create_view(actor=actor, name=name, **values)


@pytest.fixture
def spread(entry, requester):
    urgent = factories.make_ticket(actor=requester, entry=entry, title="服务器宕机", priority="L1")
    calm = factories.make_ticket(actor=requester, entry=entry, title="换鼠标", priority="L4")
    urgent2 = factories.make_ticket(actor=requester, entry=entry, title="网络中断", priority="L1")
    return {"urgent": urgent, "calm": calm, "urgent2": urgent2}


def test_opening_a_view_applies_filters_columns_and_sort(client, handlers, spread):
    view = make_view(handlers[0], sort="id")
    login(client, handlers[0])
    response = client.get(LIST, {"view": view.pk})
    assert ids_on(response) == [spread["urgent"].pk, spread["urgent2"].pk]  # oldest first
    html = response.content.decode()
    heads = re.findall(r'data-column="(\w+)"', html)
    assert heads == ["number", "title", "priority", "requester"]
    assert f'<li class="nav-item" data-saved-view="{view.pk}">' in html
    # The view's tab is active and shows its count; the built-in tabs are not active.
    tab = html.split(f'data-saved-view="{view.pk}"')[1].split("</li>")[0]
    assert "active" in tab and f'id="view-count-{view.pk}"' in tab and ">2<" in tab


def test_the_request_refines_an_open_view(client, handlers, spread):
    view = make_view(handlers[0])
    login(client, handlers[0])
    response = client.get(LIST, {"view": view.pk, "priority": "L4"})
    assert ids_on(response) == [spread["calm"].pk]


def test_default_view_opens_on_the_bare_list_only(client, handlers, spread):
    view = make_view(handlers[0], make_default=True)
    login(client, handlers[0])
    assert client.get(LIST).context["list_setup"].view == view
    assert ids_on(client.get(LIST)) == [spread["urgent2"].pk, spread["urgent"].pk]
    # A built-in tab link is not the default view.
    assert client.get(LIST, {"tab": "all"}).context["list_setup"].view is None
    services.set_default_view(actor=handlers[0], view_id=None)
    assert client.get(LIST).context["list_setup"].view is None


def test_shared_view_shows_each_viewer_only_their_tickets(client, handlers, entry, spread):
    shared = make_view(handlers[0], name="全部紧急", shared=True)
    stranger = factories.requester()
    own = factories.make_ticket(actor=stranger, entry=entry, title="我的紧急", priority="L1")
    login(client, stranger)
    response = client.get(LIST, {"view": shared.pk})
    assert ids_on(response) == [own.pk]
    assert capped_count(view_queryset(stranger, shared)) == 1
    assert capped_count(view_queryset(handlers[0], shared)) == 3


def test_personal_view_is_private(client, handlers, spread):
    private = make_view(handlers[0])
    other = handlers[1]
    login(client, other)
    response = client.get(LIST, {"view": private.pk})
    assert response.context["list_setup"].view is None  # falls back to the plain list
    assert f'data-saved-view="{private.pk}"' not in response.content.decode()
    with pytest.raises(NotFound):
        services.update_view(actor=other, view_id=private.pk, name="偷看")


def test_who_may_share_edit_and_delete(handlers, requester):
    with pytest.raises(PermissionDenied):
        make_view(requester, shared=True)
    mine = make_view(requester)
    with pytest.raises(PermissionDenied):
        services.update_view(actor=requester, view_id=mine.pk, shared=True)
    shared = make_view(handlers[0], shared=True)
    with pytest.raises(PermissionDenied):
        services.update_view(actor=handlers[1], view_id=shared.pk, name="改名")
    with pytest.raises(PermissionDenied):
        services.delete_view(actor=requester, view_id=shared.pk)
    # A ticket manager looks after shared views.
    admin = factories.admin()
    assert services.update_view(actor=admin, view_id=shared.pk, name="改名").name == "改名"
    services.delete_view(actor=admin, view_id=shared.pk)
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def test_duplicate_name_is_a_conflict(handlers):
    make_view(handlers[0])
    with pytest.raises(Conflict):
        make_view(handlers[0])
    assert SavedView.objects.count() == 1
    make_view(handlers[1])  # another person may use the name


def test_counts_stop_at_the_cap(handlers, spread):
    view = make_view(handlers[0], filters={})
    qs = view_queryset(handlers[0], view)
    assert capped_count(qs, cap=2) == 3  # "more than 2"
    assert capped_count(qs, cap=5) == 3


def test_count_follows_ticket_changes(client, handlers, entry, requester, spread):
    view = make_view(handlers[0])
    login(client, handlers[0])
    counts_url = reverse("savedviews:counts")
    assert f'id="view-count-{view.pk}"' in client.get(counts_url).content.decode()
    assert ">2<" in client.get(counts_url).content.decode()
    factories.make_ticket(actor=requester, entry=entry, title="又一个", priority="L1")
    html = client.get(counts_url).content.decode()
    assert 'hx-swap-oob="true"' in html
    assert ">3<" in html.split(f'id="view-count-{view.pk}"')[1][:200]


@pytest.mark.parametrize("sort", ["-id", "id", "-updated_at", "priority"])
def test_sorts_page_through_every_ticket_once(client, handlers, entry, requester, sort):
    made = [
        factories.make_ticket(actor=requester, entry=entry, priority=f"L{1 + i % 4}")
        for i in range(30)
    ]
    login(client, factories.admin())
    first = client.get(LIST, {"tab": "all", "sort": sort})
    second = client.get(LIST, {"tab": "all", "sort": sort, "after": first.context["older"]})
    seen = ids_on(first) + ids_on(second)
    assert sorted(seen) == sorted(t.pk for t in made)
    rows = {t.pk: t for t in Ticket.objects.all()}
    if sort == "priority":
        keys = [(rows[pk].priority, -pk) for pk in seen]
        assert keys == sorted(keys)
    if sort == "id":
        assert seen == sorted(seen)
    back = client.get(LIST, {"tab": "all", "sort": sort, "before": second.context["newer"]})
    assert ids_on(back) == ids_on(first)


def test_bad_cursor_and_sort_are_ignored(client, handlers, spread):
    login(client, handlers[0])
    for params in ({"sort": "evil"}, {"sort": "priority", "after": "L1~x"}, {"after": "-3"}):
        response = client.get(LIST, {"tab": "all", **params})
        assert response.status_code == 200
        assert len(ids_on(response)) == 3


# --- the web endpoints -----------------------------------------------------------------------


def _post(client, url, data):
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_save_current_query_as_a_view(client, handlers, spread):
    login(client, handlers[0])
    response = _post(
        client,
        reverse("savedviews:create"),
        {
            "name": "我的 L1",
            "tab": "all",
            "priority": "L1",
            "q": "",
            "sort": "priority",
            "columns": ["status", "requester"],
            "make_default": "1",
        },
    )
    assert response.status_code == 204
    view = SavedView.objects.get(name="我的 L1")
    assert response["HX-Redirect"] == f"{LIST}?view={view.pk}"
    assert view.filters == {"priority": "L1"}
    assert view.columns == ["number", "title", "status", "requester"]
    assert view.sort == "priority" and view.owner == handlers[0] and not view.shared
    assert client.get(LIST).context["list_setup"].view == view


def test_save_dialog_shows_errors_inline(client, handlers):
    login(client, handlers[0])
    url = reverse("savedviews:create")
    response = _post(client, url, {"name": "", "tab": "all", "sort": "-id"})
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#saved-view-new-body"
    response = _post(client, url, {"name": "x", "tab": "all", "sort": "-id", "status": "zzz"})
    assert response.status_code == 400
    assert "不支持的取值" in response.content.decode()
    _post(client, url, {"name": "同名", "tab": "all", "sort": "-id"})
    response = _post(client, url, {"name": "同名", "tab": "all", "sort": "-id"})
    assert response.status_code == 409
    assert "同名视图" in response.content.decode()
    assert SavedView.objects.count() == 1


def test_web_update_delete_and_default(client, handlers, requester):
    view = make_view(handlers[0], shared=True)
    login(client, requester)
    assert _post(client, reverse("savedviews:delete", args=[view.pk]), {}).status_code == 403
    assert _post(client, reverse("savedviews:default"), {"view": view.pk}).status_code == 204
    assert client.get(LIST).context["list_setup"].view == view
    assert _post(client, reverse("savedviews:default"), {"view": "999999"}).status_code == 404
    login(client, handlers[0])
    response = _post(
        client,
        reverse("savedviews:update", args=[view.pk]),
        {"name": "改过", "tab": "assigned", "sort": "-id", "shared": "1"},
    )
    assert response.status_code == 204
    view.refresh_from_db()
    assert (view.name, view.tab, view.filters) == ("改过", "assigned", {})
    assert _post(client, reverse("savedviews:delete", args=[view.pk]), {}).status_code == 204
    assert not SavedView.objects.exists()


def test_list_queries_do_not_grow_with_views(
    client, handlers, spread, django_assert_max_num_queries
):
    user = handlers[0]
    for i in range(3):
        make_view(user, name=f"v{i}")
    login(client, user)
    client.get(LIST, {"tab": "all"})  # counts now cached
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(LIST, {"tab": "all"})
    for i in range(3, 9):
        make_view(user, name=f"v{i}")
    client.get(LIST, {"tab": "all"})
    with CaptureQueriesContext(connection) as many:
        client.get(LIST, {"tab": "all"})
    assert len(many) == len(few)


# --- the API ---------------------------------------------------------------------------------


def test_api_create_list_edit_delete(handlers, requester, spread):
    client = client_for(handlers[0])
    created = client.post(
        VIEWS,
        {
            "name": "紧急",
            "filters": {"priority": ["L1", "L2"], "q": "宕机"},
            "sort": "priority",
            "columns": ["status"],
            "make_default": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["filters"] == {"priority": "L1,L2", "q": "宕机"}
    assert body["columns"] == ["number", "title", "status"]
    assert body["is_default"] is True
    view_id = body["id"]
    assert [v["id"] for v in client.get(VIEWS).json()] == [view_id]
    assert client.get("/api/v1/views/default/").json() == {"view": view_id}
    patched = client.patch(f"{VIEWS}{view_id}/", {"shared": True}, format="json")
    assert patched.status_code == 200 and patched.json()["shared"] is True
    assert [v["id"] for v in client_for(requester).get(VIEWS).json()] == [view_id]
    counts = client.get("/api/v1/views/counts/").json()
    assert counts["views"] == {str(view_id): 0}  # not indexed yet: the worker has not run
    factories.fan_out_pending()
    assert client.get("/api/v1/views/counts/").json()["views"] == {str(view_id): 1}
    assert "assigned" in counts["tabs"]
    assert client_for(requester).delete(f"{VIEWS}{view_id}/").status_code == 403
    assert client.delete(f"{VIEWS}{view_id}/").status_code == 204
    assert client.get("/api/v1/views/default/").json() == {"view": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 31}, "name"),
        ({"name": "a", "filters": {"status": "nope"}}, "filters"),
        ({"name": "a", "filters": {"drop_table": "1"}}, "filters"),
        ({"name": "a", "filters": {"queue": "abc"}}, "filters"),
        ({"name": "a", "filters": "status=done"}, "filters"),
        ({"name": "a", "filters": {"q": {"nested": 1}}}, "filters"),
        ({"name": "a", "columns": ["password"]}, "columns"),
        ({"name": "a", "sort": "title; drop"}, "sort"),
        ({"name": "a", "tab": "secret"}, "tab"),
    ],
)
def test_api_bad_input(handlers, body, field):
    response = client_for(handlers[0]).post(VIEWS, body, format="json")
    assert_error(response, 400, "invalid", field=field)
    assert not SavedView.objects.exists()


def test_api_conflicts_and_refusals(handlers, requester):
    client = client_for(handlers[0])
    assert client.post(VIEWS, {"name": "一"}, format="json").status_code == 201
    assert_error(client.post(VIEWS, {"name": "一"}, format="json"), 409, "conflict")
    response = client_for(requester).post(VIEWS, {"name": "共享", "shared": True}, format="json")
    assert_error(response, 403, "permission_denied")
    assert_error(client.put("/api/v1/views/default/", {"view": 999999}, format="json"), 404)
    assert_error(client.put("/api/v1/views/default/", {"view": "x"}, format="json"), 400)


def test_request_refines_not_replaces_people_filters(client, handlers, spread):
    """A view's filters that the list form does not show (assignee) survive a form change."""
    mine = make_view(handlers[0], name="我的", filters={"assignee": "me"})
    login(client, handlers[0])
    expected = sorted(t.pk for t in spread.values() if t.assignee_id == handlers[0].pk)
    response = client.get(LIST, {"view": mine.pk, "priority": ""})
    assert sorted(ids_on(response)) == expected
    assert '<input type="hidden" name="assignee" value="me">' in response.content.decode()
