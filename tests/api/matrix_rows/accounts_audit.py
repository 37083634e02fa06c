"""People, departments, roles, permissions, import/export and the audit log."""

from django.utils import timezone

from andon.accounts.models import Department, ImportJob, Role
from tests import factories
from tests.api.matrix import Row, signed_in

READ = signed_in(200, nobody=403)  # people.view: every built-in role


def admin_only(status: int) -> dict[str, int]:
    return signed_in(403, admin=status)


def refs(world, _ticket) -> dict:
    person = factories.UserFactory(username="matrix-person")
    department = Department.objects.create(name="矩阵部门")
    role = Role.objects.create(name="矩阵角色", permissions=["reports.view"])
    role.users.add(person)
    job = ImportJob.objects.create(
        kind=ImportJob.Kind.PEOPLE,
        file_name="people.csv",
        created_by=world.admin,
        created_at=timezone.now(),
    )
    return {"user": person.pk, "department": department.pk, "role": role.pk, "import_job": job.pk}


USER = "/api/v1/users/{user}/"
DEPARTMENT = "/api/v1/departments/{department}/"
ROLE = "/api/v1/roles/{role}/"

ROWS = [
    Row("users: create", "post", "/api/v1/users/", admin_only(201), body={"username": "newbie"}),
    Row("users: detail", "get", USER, READ),
    Row("users: edit", "patch", USER, admin_only(200), body={"display_name": "新名字"}),
    Row("users: deactivate", "post", USER + "deactivate/", admin_only(200), body={}),
    Row("users: reactivate (still active: 409)", "post", USER + "reactivate/", admin_only(409)),
    Row(
        "departments: create",
        "post",
        "/api/v1/departments/",
        admin_only(201),
        body={"name": "新部门"},
    ),
    Row("departments: detail", "get", DEPARTMENT, READ),
    Row("departments: edit", "patch", DEPARTMENT, admin_only(200), body={"name": "改名"}),
    Row("departments: delete", "delete", DEPARTMENT, admin_only(204)),
    Row("roles: list", "get", "/api/v1/roles/", READ),
    Row(
        "roles: create",
        "post",
        "/api/v1/roles/",
        admin_only(201),
        body={"name": "新角色", "permissions": ["reports.view"]},
    ),
    Row("roles: detail", "get", ROLE, READ),
    Row("roles: edit", "patch", ROLE, admin_only(200), body={"description": "说明"}),
    Row("roles: delete (its member moves nowhere: 409)", "delete", ROLE, admin_only(409)),
    Row("roles: members", "put", ROLE + "members/", admin_only(200), body={"users": []}),
    Row("permissions", "get", "/api/v1/permissions/", signed_in(200)),
    Row(
        "imports: upload (a .txt is refused after the permission check)",
        "post",
        "/api/v1/imports/",
        admin_only(400),
        body={"kind": "people", "file": "{file}"},
        multipart=True,
    ),
    Row("imports: progress", "get", "/api/v1/imports/{import_job}/", admin_only(200)),
    Row("imports: confirm", "post", "/api/v1/imports/{import_job}/confirm/", admin_only(202)),
    *[
        Row(f"exports: {name}", "get", f"/api/v1/exports/{name}", admin_only(200))
        for name in ("people.csv", "people.xlsx", "departments.csv", "departments.xlsx")
    ],
    Row("audit", "get", "/api/v1/audit/", admin_only(200)),
]
