"""Saved views and ticket search. Anyone signed in keeps personal views and reads the shared
ones; sharing takes tickets.handle or tickets.manage; a shared view is edited or deleted by its
owner (`handler`) or a tickets.manage holder (admin). Search answers every signed-in caller
from their own visible tickets."""

from andon.savedviews import services
from tests.api.matrix import Row, expect, signed_in

VIEW = "/api/v1/views/{view}/"
OWNER_OR_MANAGER = signed_in(403, handler=200, admin=200)


def refs(world, _ticket) -> dict:
    shared = services.create_view(
        actor=world.handler,
        name="共享视图",
        shared=True,
        tab="all",
        filters={"priority": "L1"},
        columns=["number", "title"],
        sort="-id",
    )
    private = services.create_view(
        actor=world.handler,
        name="私人视图",
        tab="all",
        filters={},
        columns=["number", "title"],
        sort="-id",
    )
    return {"view": shared.pk, "private_view": private.pk}


ROWS = [
    Row("views: list", "get", "/api/v1/views/", signed_in(200)),
    Row("views: create personal", "post", "/api/v1/views/", signed_in(201), body={"name": "我的"}),
    Row(
        "views: create shared (handlers only)",
        "post",
        "/api/v1/views/",
        signed_in(403, handler=201, admin=201),
        body={"name": "大家的", "shared": True},
    ),
    Row("views: shared detail", "get", VIEW, signed_in(200)),
    Row(
        "views: private detail (owner only)",
        "get",
        "/api/v1/views/{private_view}/",
        signed_in(404, handler=200),
    ),
    Row("views: edit shared", "patch", VIEW, OWNER_OR_MANAGER, body={"name": "改名"}),
    Row("views: delete shared", "delete", VIEW, signed_in(403, handler=204, admin=204)),
    Row("views: counts", "get", "/api/v1/views/counts/", signed_in(200)),
    Row("views: my default", "get", "/api/v1/views/default/", signed_in(200)),
    Row(
        "views: choose a shared default",
        "put",
        "/api/v1/views/default/",
        signed_in(200),
        body={"view": "{view}"},
    ),
    Row("tickets: search", "get", "/api/v1/tickets/search/?q=打印机", signed_in(200)),
    Row(
        "tickets: search without words",
        "get",
        "/api/v1/tickets/search/",
        expect(400, anonymous=401),
    ),
]
