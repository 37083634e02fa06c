"""GET → edit → PUT works on the main resources: what GET answered goes back with one edit,
read-only fields sent back unchanged are ignored, a changed read-only field and unknown fields
are refused with their names."""

import pytest

from andon.accounts.models import Role
from andon.fields.models import FieldDefinition
from tests import factories
from tests.api.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db


def _ticket(world):
    ticket = world.ticket()
    return f"/api/v1/tickets/{ticket.pk}/", world.handler, "title", "打印机又卡纸了"


def _queue(world):
    return f"/api/v1/queues/{world.queue.pk}/", world.admin, "name", "桌面运维二组"


def _catalog(world):
    return f"/api/v1/catalog/{world.entry.pk}/", world.admin, "name", "打印机与扫描仪"


def _person(world):
    person = factories.handler(display_name="赵雷")
    return f"/api/v1/users/{person.pk}/", world.admin, "display_name", "赵磊"


def _role(world):
    role = Role.objects.create(name="值班长", permissions=["reports.view"])
    role.users.add(world.teammate)
    return f"/api/v1/roles/{role.pk}/", world.admin, "description", "夜班负责"


def _field(world):
    field = FieldDefinition.objects.create(
        name="影响人数", key="impact", type="number", required=False, order=1
    )
    field.scope.add(world.entry.parent)
    return f"/api/v1/fields/{field.pk}/", world.admin, "name", "受影响人数"


RESOURCES = {
    "tickets": _ticket,
    "queues": _queue,
    "catalog": _catalog,
    "people": _person,
    "roles": _role,
    "fields": _field,
}


@pytest.mark.parametrize("resource", RESOURCES)
def test_get_edit_put_round_trip(world, resource):
    url, editor, field, new_value = RESOURCES[resource](world)
    api = client_for(editor)
    before = api.get(url).json()
    assert field in before

    edited = {**before, field: new_value}
    response = api.put(url, edited, format="json")
    assert response.status_code == 200, response.content
    after = response.json()
    assert after[field] == new_value
    # Everything else is as it was (the edit's own bookkeeping aside).
    # ("name" is a person's display name, or their username without one.)
    moving = {"updated_at", "actions", "events", "last_activity_at", "version", "name"}
    for key, value in before.items():
        if key not in moving and key != field:
            assert after[key] == value, (key, value, after[key])
    assert api.get(url).json()[field] == new_value

    # PATCH takes the same whole body.
    assert api.patch(url, {**after, field: before[field]}, format="json").status_code == 200

    # Unknown fields are refused by name ...
    current = api.get(url).json()
    unknown = api.put(url, {**current, "colour": "红", "prioritty": "L1"}, format="json")
    body = assert_error(unknown, 400)
    assert {"colour", "prioritty"} <= set(body["errors"])
    assert "colour" in body["detail"] and "prioritty" in body["detail"]
    # ... and so is a read-only field sent back changed (it would otherwise be lost silently).
    changed = api.put(url, {**current, "id": current["id"] + 1000}, format="json")
    body = assert_error(changed, 400, field="id")
    assert api.get(url).json() == current


def test_changing_a_ticket_status_by_put_points_to_the_actions(world):
    ticket = world.ticket()
    api = client_for(world.handler)
    current = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    response = api.put(
        f"/api/v1/tickets/{ticket.pk}/", {**current, "status": "done"}, format="json"
    )
    assert_error(response, 400, field="status")
    ticket.refresh_from_db()
    assert ticket.status == current["status"]
