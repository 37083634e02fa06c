"""Permission matrix rows for the field templates API (字段模板)."""

from andon.fields import services
from tests.api.matrix import Row, signed_in

FIELD = "/api/v1/fields/{field}/"


def refs(world, _ticket) -> dict:
    field = services.create_field(
        actor=world.admin,
        data={
            "name": "资产编号",
            "type": "text",
            "required": False,
            "scope": [world.entry.pk],
        },
    )
    return {"field": field.pk, "field_ids": [field.pk], "scope_ids": [world.entry.pk]}


ROWS = [
    Row("fields: list", "get", "/api/v1/fields/", signed_in(200)),
    Row(
        "fields: create",
        "post",
        "/api/v1/fields/",
        signed_in(403, admin=201),
        body={"name": "影响人数", "type": "number", "required": True, "scope": "{scope_ids}"},
    ),
    Row("fields: detail", "get", FIELD, signed_in(200)),
    Row(
        "fields: edit",
        "patch",
        FIELD,
        signed_in(403, admin=200),
        body={"help_text": "贴在设备背面"},
    ),
    Row("fields: retire", "post", FIELD + "retire/", signed_in(403, admin=200)),
    Row("fields: restore", "post", FIELD + "restore/", signed_in(403, admin=200)),
    Row(
        "fields: reorder",
        "post",
        "/api/v1/fields/reorder/",
        signed_in(403, admin=200),
        body={"order": "{field_ids}"},
    ),
    Row("catalog entry: its fields", "get", "/api/v1/catalog/{entry}/fields/", signed_in(200)),
]
