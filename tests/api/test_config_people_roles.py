"""People, departments, roles, permissions, import/export and audit through the API."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from andon.accounts.models import Department, ImportJob, Role, User
from andon.accounts.permissions import ALL_CODES
from andon.audit.models import AuditEntry
from andon.tickets.models import Status
from tests import factories
from tests.api.conftest import assert_error

USERS = "/api/v1/users/"
DEPARTMENTS = "/api/v1/departments/"
ROLES = "/api/v1/roles/"


# --- people ---------------------------------------------------------------------------------------


def test_create_read_and_edit_a_person(api, world):
    department = Department.objects.create(name="运维组")
    client = api(world.admin)
    handler_role = Role.objects.get(code="handler")
    response = client.post(
        USERS,
        {
            "username": "wangfang",
            "display_name": "王芳",
            "email": "wf@example.com",
            "department": department.pk,
            "direct_leaders": [world.handler.pk],
            "roles": [handler_role.pk],
            "is_available": False,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["username"] == "wangfang" and body["name"] == "王芳"
    assert body["department"] == {"id": department.pk, "name": "运维组"}
    assert [u["id"] for u in body["direct_leaders"]] == [world.handler.pk]
    assert [r["code"] for r in body["roles"]] == ["handler"]
    assert body["is_active"] is True and body["is_available"] is False
    assert body["open_tickets"] == 0
    pk = body["id"]
    assert AuditEntry.objects.filter(action="create", object_id=str(pk)).exists()

    detail = api(world.observer).get(f"{USERS}{pk}/")
    assert detail.status_code == 200 and detail.json() == body

    patched = client.patch(
        f"{USERS}{pk}/", {"mobile": "13800000000", "department": None}, format="json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["mobile"] == "13800000000"
    assert patched.json()["department"] is None


def test_person_errors_come_per_field(api, world):
    client = api(world.admin)
    body = assert_error(
        client.post(
            USERS,
            {"username": "handler", "email": "nope", "department": 999999, "roles": ["x"]},
            format="json",
        ),
        400,
        "invalid",
    )
    assert set(body["errors"]) >= {"username", "email", "department", "roles"}
    assert_error(
        client.post(USERS, {"username": "a", "bogus": 1}, format="json"), 400, field="bogus"
    )
    assert_error(client.post(USERS, ["not", "an", "object"], format="json"), 400)
    assert_error(client.get(f"{USERS}999999/"), 404, "not_found")
    # Deactivation is its own action, so open tickets are never orphaned by a PATCH.
    assert_error(
        client.patch(f"{USERS}{world.agent.pk}/", {"is_active": False}, format="json"), 400
    )
    assert User.objects.filter(username__iexact="handler").count() == 1


def test_deactivation_needs_a_successor_for_open_tickets(api, world):
    ticket = world.ticket(Status.PROCESSING)
    client = api(world.admin)
    url = f"{USERS}{world.handler.pk}/deactivate/"
    body = assert_error(client.post(url, {}, format="json"), 409, "has_open_tickets")
    assert "1 张未完成的工单" in body["detail"] and "successor" in body["errors"]
    assert api(world.admin).get(f"{USERS}{world.handler.pk}/").json()["open_tickets"] == 1
    assert_error(client.post(url, {"successor": "x"}, format="json"), 400, field="successor")
    assert_error(
        client.post(url, {"successor": world.handler.pk}, format="json"), 400, field="successor"
    )
    done = client.post(url, {"successor": world.teammate.pk}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["is_active"] is False
    ticket.refresh_from_db()
    assert ticket.assignee == world.teammate and ticket.status == Status.PROCESSING
    assert_error(client.post(url, {}, format="json"), 409, "already_inactive")
    again = client.post(f"{USERS}{world.handler.pk}/reactivate/")
    assert again.status_code == 200 and again.json()["is_active"] is True
    assert_error(client.post(f"{USERS}999999/reactivate/"), 404)


def test_custom_role_with_people_manage_can_manage_people(api, world):
    hr = Role.objects.create(name="人事", permissions=["people.view", "people.manage"])
    clerk = factories.UserFactory()
    clerk.roles.add(hr)
    client = api(clerk)
    assert client.post(USERS, {"username": "newhire"}, format="json").status_code == 201
    assert client.post(DEPARTMENTS, {"name": "财务部"}, format="json").status_code == 201
    assert_error(client.post(ROLES, {"name": "x", "permissions": []}, format="json"), 403)
    assert_error(client.get("/api/v1/audit/"), 403)


# --- departments ----------------------------------------------------------------------------------


def test_department_create_move_and_delete(api, world):
    client = api(world.admin)
    root = client.post(DEPARTMENTS, {"name": "总部", "leaders": [world.admin.pk]}, format="json")
    assert root.status_code == 201, root.content
    root_id = root.json()["id"]
    assert root.json()["leaders"][0]["id"] == world.admin.pk
    child = client.post(DEPARTMENTS, {"name": "技术部", "parent": root_id}, format="json").json()
    assert child["parent"] == root_id and child["depth"] == 1
    assert_error(
        client.patch(f"{DEPARTMENTS}{root_id}/", {"parent": child["id"]}, format="json"),
        400,
        field="parent",
    )
    assert_error(client.post(DEPARTMENTS, {"name": " "}, format="json"), 400, field="name")
    assert_error(client.delete(f"{DEPARTMENTS}{root_id}/"), 409, "in_use")
    moved = client.patch(
        f"{DEPARTMENTS}{child['id']}/", {"parent": None, "order": 3}, format="json"
    )
    assert moved.status_code == 200 and moved.json()["parent"] is None
    assert client.get(f"{DEPARTMENTS}{child['id']}/").json()["order"] == 3
    assert client.delete(f"{DEPARTMENTS}{root_id}/").status_code == 204
    assert_error(client.get(f"{DEPARTMENTS}{root_id}/"), 404)


# --- roles and permissions ------------------------------------------------------------------------


def test_roles_list_with_builtin_flag_and_codes(api, world):
    rows = api(world.handler).get(ROLES).json()
    by_code = {r["code"]: r for r in rows}
    assert set(by_code) >= {"admin", "agent", "handler", "observer"}
    assert by_code["admin"]["builtin"] is True and by_code["admin"]["editable"] is False
    assert set(by_code["admin"]["permissions"]) == ALL_CODES
    assert by_code["handler"]["member_count"] == 2
    assert "tickets.handle" in by_code["handler"]["permissions"]


def test_custom_role_lifecycle(api, world):
    client = api(world.admin)
    created = client.post(
        ROLES, {"name": "值班长", "permissions": ["tickets.manage", "reports.view"]}, format="json"
    )
    assert created.status_code == 201, created.content
    role = created.json()
    assert role["builtin"] is False and role["permissions"] == ["reports.view", "tickets.manage"]
    url = f"{ROLES}{role['id']}/"
    assert client.patch(url, {"permissions": ["reports.view"]}, format="json").json()[
        "permissions"
    ] == ["reports.view"]
    members = client.put(url + "members/", {"users": [world.agent.pk]}, format="json")
    assert [m["id"] for m in members.json()["members"]] == [world.agent.pk]
    assert_error(client.delete(url), 409, "role_in_use")
    assert_error(client.delete(url + "?replacement=abc"), 400, field="replacement")
    handler_role = Role.objects.get(code="handler")
    assert client.delete(f"{url}?replacement={handler_role.pk}").status_code == 204
    assert world.agent.roles.filter(pk=handler_role.pk).exists()
    assert_error(client.get(url), 404)


def test_role_errors(api, world):
    client = api(world.admin)
    admin_role = Role.objects.get(code="admin")
    assert_error(
        client.patch(f"{ROLES}{admin_role.pk}/", {"permissions": []}, format="json"),
        409,
        "builtin_role",
    )
    assert_error(client.delete(f"{ROLES}{admin_role.pk}/"), 409, "builtin_role")
    assert_error(
        client.put(f"{ROLES}{admin_role.pk}/members/", {"users": []}, format="json"),
        409,
        "last_admin",
    )
    assert_error(
        client.put(f"{ROLES}{admin_role.pk}/members/", {"users": "x"}, format="json"),
        400,
        field="users",
    )
    assert_error(
        client.post(ROLES, {"name": "处理人", "permissions": ["nuke"]}, format="json"), 400
    )
    assert_error(client.get(f"{ROLES}999999/"), 404)


def test_permissions_grouped_by_area(api, world):
    groups = api(world.nobody).get("/api/v1/permissions/").json()
    assert [g["area"] for g in groups][:3] == ["tickets", "queues", "catalog"]
    codes = {p["code"] for g in groups for p in g["permissions"]}
    assert codes == ALL_CODES
    assert groups[0]["label"] == "工单"


# --- import and export ----------------------------------------------------------------------------


def _csv(text):
    return SimpleUploadedFile("people.csv", text.encode("utf-8-sig"), content_type="text/csv")


def test_import_preview_confirm_and_progress(api, world, django_capture_on_commit_callbacks):
    client = api(world.admin)
    upload = _csv("账号,姓名,邮箱\nzhao,赵一,zhao@example.com\nqian,钱二,bad\n")
    response = client.post("/api/v1/imports/", {"kind": "people", "file": upload})
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["state"] == "preview" and job["total"] == 2 and job["skipped_count"] == 1
    assert job["rows"][1]["errors"] == {"email": "邮箱格式不正确"}
    url = f"/api/v1/imports/{job['id']}/"
    assert client.get(url).json()["rows"] is None
    assert len(client.get(url, {"rows": "1"}).json()["rows"]) == 2
    assert_error(api(world.handler).get(url), 403)
    other_admin = factories.admin()
    assert_error(api(other_admin).get(url), 404)
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(url + "confirm/")
    assert confirmed.status_code == 202
    progress = client.get(url).json()
    assert progress["state"] == "done" and progress["percent"] == 100
    assert progress["created_count"] == 1
    assert User.objects.filter(username="zhao").exists()
    assert not User.objects.filter(username="qian").exists()
    assert_error(client.post(url + "confirm/"), 409, "already_confirmed")


def test_import_refuses_bad_uploads(api, world):
    client = api(world.admin)
    assert_error(client.post("/api/v1/imports/", {"kind": "people"}), 400, field="file")
    assert_error(
        client.post("/api/v1/imports/", {"kind": "cats", "file": _csv("账号\nx\n")}),
        400,
        field="kind",
    )
    assert_error(
        client.post("/api/v1/imports/", {"kind": "people", "file": _csv("姓名\n王\n")}),
        400,
        field="file",
    )
    assert not ImportJob.objects.exists()


def test_exports(api, world):
    root = Department.objects.create(name="总部")
    Department.objects.create(name="技术部", parent=root).leaders.add(world.handler)
    client = api(world.admin)
    people = client.get("/api/v1/exports/people.csv")
    assert people.status_code == 200
    assert people["Content-Type"].startswith("text/csv")
    assert "attachment" in people["Content-Disposition"]
    text = people.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("账号,姓名")
    assert "handler" in text
    book = load_workbook(io.BytesIO(client.get("/api/v1/exports/departments.xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("部门", "负责人")
    assert ("总部/技术部", "handler") in rows


# --- audit ----------------------------------------------------------------------------------------


def test_audit_list_filters_and_pagination(api, world):
    client = api(world.admin)
    for index in range(3):
        client.post(ROLES, {"name": f"角色{index}", "permissions": []}, format="json")
    client.post(DEPARTMENTS, {"name": "审计部"}, format="json")
    page = client.get("/api/v1/audit/", {"page_size": 2}).json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    newest = page["results"][0]
    assert newest["object_repr"] == "审计部" and newest["action"] == "create"
    assert newest["actor"]["id"] == world.admin.pk
    assert newest["changes"]["name"] == [None, "审计部"]
    assert newest["action_display"] == "新建" and newest["object_type_display"] == "部门"
    roles = client.get("/api/v1/audit/", {"object_type": "accounts.role"}).json()
    assert roles["count"] == 3
    assert client.get("/api/v1/audit/", {"actor": world.handler.pk}).json()["count"] == 0
    assert client.get("/api/v1/audit/", {"action": "delete"}).json()["count"] == 0
    today = newest["created_at"][:10]
    assert client.get("/api/v1/audit/", {"since": today, "until": today}).json()["count"] == 4
    assert_error(client.get("/api/v1/audit/", {"since": "nope"}), 400, field="since")
    assert_error(
        client.get("/api/v1/audit/", {"since": "2025-02-02", "until": "2025-01-01"}),
        400,
        field="until",
    )


@pytest.mark.parametrize("size", [5, 30])
def test_list_endpoints_do_not_grow_queries(api, world, size, django_assert_max_num_queries):
    for index in range(size):
        user = factories.UserFactory()
        user.roles.add(Role.objects.get(code="handler"))
        Department.objects.create(name=f"部门{index}").leaders.add(user)
        AuditEntry.objects.create(
            actor=world.admin,
            created_at=world.admin.date_joined,
            action="update",
            object_type="accounts.role",
            object_repr="x",
        )
    client = api(world.admin)
    with django_assert_max_num_queries(8):
        assert client.get(ROLES).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/audit/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"{ROLES}{Role.objects.get(code='handler').pk}/").status_code == 200
