"""Customers, contacts, group chats and handover. Records are owned by `agent`: the owner and
admins edit; holders of `customers.view` (一线客服, 处理人) read; `nobody` and the observer are
refused."""

from andon.customers import services
from tests.api.matrix import Row, signed_in

READ = signed_in(200, nobody=403, observer=403)
CREATE = signed_in(201, nobody=403, observer=403)
# Only the owner (`agent` owns the fixtures) or people.manage: the custom role has the bits
# but owns nothing.
EDIT = signed_in(403, agent=200, admin=200, custom=403)
DELETE = signed_in(403, agent=204, admin=204, custom=403)


def refs(world, _ticket) -> dict:
    customer = services.create_customer(actor=world.agent, name="华东物流")
    contact = services.create_contact(
        actor=world.agent, name="王经理", external_userid="wmEXT1", customer=customer.pk
    )
    chat = services.create_group_chat(
        actor=world.agent, chat_id="wrCHAT1", name="华东物流服务群", customer=customer.pk
    )
    return {
        "customer": customer.pk,
        "contact": contact.pk,
        "group_chat": chat.pk,
        "leaving": world.handler.pk,
        "successor": world.teammate.pk,
    }


ROWS = []
for _name, _path, _key, _create_body in (
    ("customers", "/api/v1/customers/", "customer", {"name": "新客户"}),
    ("contacts", "/api/v1/contacts/", "contact", {"name": "张三"}),
    ("group chats", "/api/v1/group-chats/", "group_chat", {"chat_id": "wrNEW", "name": "新群"}),
):
    _detail = _path + "{" + _key + "}/"
    ROWS += [
        Row(f"{_name}: list", "get", _path, READ),
        Row(f"{_name}: create", "post", _path, CREATE, body=_create_body),
        Row(f"{_name}: detail", "get", _detail, READ),
        Row(f"{_name}: edit (owner or admin)", "patch", _detail, EDIT, body={"name": "改名"}),
        Row(f"{_name}: delete (owner or admin)", "delete", _detail, DELETE),
        Row(f"{_name}: tickets", "get", _detail + "tickets/", READ),
    ]
ROWS.append(
    Row(
        "handover (admin)",
        "post",
        "/api/v1/handover/",
        signed_in(403, admin=200),
        body={"from_user": "{leaving}", "to_user": "{successor}"},
    )
)
