"""Permission matrix rows for the queue and service catalog configuration API."""

from tests.api.matrix import Row, signed_in

QUEUE = "/api/v1/queues/{queue}/"


def refs(world, _ticket) -> dict:
    siblings = list(
        world.entry.parent.children.order_by("-order", "-id").values_list("pk", flat=True)
    )
    return {
        "entry_parent": world.entry.parent_id,
        "entry_siblings": siblings,
    }


ROWS = [
    Row(
        "queues: edit",
        "patch",
        QUEUE,
        signed_in(403, admin=200),
        body={"description": "桌面、打印机与外设"},
    ),
    Row("queues: disable impact", "get", QUEUE + "disable-impact/", signed_in(403, admin=200)),
    Row(
        "queues: disable (confirmed)",
        "post",
        QUEUE + "disable/",
        signed_in(403, admin=200),
        body={"confirm": True},
    ),
    # Enabling an enabled queue is a no-op (200); the real switch is covered in
    # tests/api/test_config_queues_catalog.py.
    Row("queues: enable", "post", QUEUE + "enable/", signed_in(403, admin=200)),
    Row("catalog: detail", "get", "/api/v1/catalog/{entry}/", signed_in(200)),
    Row(
        "catalog: edit",
        "patch",
        "/api/v1/catalog/{entry}/",
        signed_in(403, admin=200),
        body={"name": "打印机与扫描仪"},
    ),
    Row(
        "catalog: reorder",
        "post",
        "/api/v1/catalog/reorder/",
        signed_in(403, admin=200),
        body={"parent": "{entry_parent}", "order": "{entry_siblings}"},
    ),
]
