"""Tags, bulk jobs and canned replies. Tag names are readable by everyone signed in; handlers tag
the tickets they handle and create tags, `tags.manage` (admins) renames, merges and deletes. Bulk
jobs are started by handlers and seen only by their starter. Canned replies: `handler` owns the
fixture reply, so only they see and change it."""

from andon.bulk import services as bulk_services
from andon.macros import services as macro_services
from andon.tags import services as tag_services
from tests.api.matrix import Row, signed_in, ticket_access

TICKET = "/api/v1/tickets/{ticket}/"
TAG = "/api/v1/tags/{tag}/"
ONLY_ADMIN = signed_in(403, admin=200)


def refs(world, ticket) -> dict:
    tag_services.add_tags(ticket_id=ticket.pk, actor=world.handler, names=["打印机"])
    tag = tag_services.get_or_create_tag(name="打印机", actor=world.handler)
    other = tag_services.get_or_create_tag(name="外设", actor=world.handler)
    macro = macro_services.create_macro(actor=world.handler, name="问候", body="{requester} 您好")
    job = bulk_services.start_job(
        actor=world.handler, action="priority", ticket_ids=[ticket.pk], params={"priority": "L2"}
    )
    return {"tag": tag.pk, "other_tag": other.pk, "macro": macro.pk, "bulk_job": job.pk}


ROWS = [
    # --- tags
    Row("tags: list", "get", "/api/v1/tags/", signed_in(200)),
    Row(
        "tags: create (handlers, tag managers)",
        "post",
        "/api/v1/tags/",
        signed_in(403, handler=201, admin=201),
        body={"name": "新标签"},
    ),
    Row("tags: detail", "get", TAG, signed_in(200)),
    Row("tags: rename (tags.manage)", "patch", TAG, ONLY_ADMIN, body={"name": "打印设备"}),
    Row("tags: delete a used tag (tags.manage: 409)", "delete", TAG, signed_in(403, admin=409)),
    Row(
        "tags: merge (tags.manage)",
        "post",
        TAG + "merge/",
        ONLY_ADMIN,
        body={"into": "{other_tag}"},
    ),
    Row(
        "tickets: tags",
        "get",
        TICKET + "tags/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "tickets: add tags (handling side)",
        "post",
        TICKET + "tags/",
        ticket_access(requester=403, handler=200, observer=403, admin=200),
        body={"tags": ["网络"]},
    ),
    Row(
        "tickets: remove a tag (handling side)",
        "delete",
        TICKET + "tags/{tag}/",
        ticket_access(requester=403, handler=204, observer=403, admin=204),
    ),
    Row("reports: by-tag", "get", "/api/v1/reports/by-tag/", signed_in(200, nobody=403)),
    # --- bulk jobs
    Row(
        "bulk jobs: start (handlers)",
        "post",
        "/api/v1/bulk-jobs/",
        signed_in(403, handler=201, admin=201),
        body={"action": "claim", "filter": {}},
    ),
    Row(
        "bulk jobs: own job only",
        "get",
        "/api/v1/bulk-jobs/{bulk_job}/",
        signed_in(404, handler=200),
    ),
    # --- canned replies
    Row("macros: list", "get", "/api/v1/macros/", signed_in(200)),
    Row(
        "macros: create (handlers)",
        "post",
        "/api/v1/macros/",
        signed_in(403, handler=201, admin=201),
        body={"name": "模板", "body": "您好"},
    ),
    Row("macros: detail (owner)", "get", "/api/v1/macros/{macro}/", signed_in(404, handler=200)),
    Row(
        "macros: edit (owner)",
        "patch",
        "/api/v1/macros/{macro}/",
        signed_in(403, handler=200, admin=404),
        body={"name": "改名"},
    ),
    Row(
        "macros: delete (owner)",
        "delete",
        "/api/v1/macros/{macro}/",
        signed_in(403, handler=204, admin=404),
    ),
    Row(
        "tickets: macros rendered",
        "get",
        TICKET + "macros/",
        ticket_access(requester=200, handler=200, observer=200, admin=200),
    ),
    Row(
        "tickets: apply a macro (its owner)",
        "post",
        TICKET + "macros/{macro}/apply/",
        ticket_access(requester=404, handler=200, observer=404, admin=404),
        body={},
    ),
]
