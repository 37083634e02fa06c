import pytest

from andon.accounts import services
from andon.accounts.models import Department, Role
from andon.audit.models import AuditEntry
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests import factories


@pytest.fixture
def admin(db):
    return factories.admin()


def test_custom_role_create_edit_and_audit(admin):
    role = services.create_role(
        actor=admin, data={"name": "值班长", "permissions": ["tickets.manage", "reports.view"]}
    )
    assert role.permission_codes == {"tickets.manage", "reports.view"}
    services.update_role(actor=admin, role_id=role.pk, data={"permissions": ["reports.view"]})
    role.refresh_from_db()
    assert role.permissions == ["reports.view"]
    update = AuditEntry.objects.get(action="update", object_id=str(role.pk))
    assert update.changes == {"permissions": [["reports.view", "tickets.manage"], ["reports.view"]]}


def test_role_names_unique_and_codes_known(admin):
    with pytest.raises(ValidationFailed) as exc:
        services.create_role(actor=admin, data={"name": "处理人", "permissions": []})
    assert "name" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.create_role(actor=admin, data={"name": "新角色", "permissions": ["nuke.all"]})
    assert exc.value.errors["permissions"] == ["未知的权限：nuke.all"]


def test_admin_role_cannot_be_edited_but_other_builtins_can(admin):
    admin_role = Role.objects.get(code="admin")
    with pytest.raises(Conflict):
        services.update_role(actor=admin, role_id=admin_role.pk, data={"permissions": []})
    observer = Role.objects.get(code="observer")
    services.update_role(actor=admin, role_id=observer.pk, data={"permissions": ["reports.view"]})
    observer.refresh_from_db()
    assert observer.permission_codes == {"reports.view"}


def test_role_in_use_needs_a_replacement_to_be_deleted(admin):
    role = services.create_role(actor=admin, data={"name": "临时", "permissions": []})
    person = factories.UserFactory()
    person.roles.add(role)
    with pytest.raises(Conflict) as exc:
        services.delete_role(actor=admin, role_id=role.pk)
    assert exc.value.code == "role_in_use"
    handler_role = Role.objects.get(code="handler")
    services.delete_role(actor=admin, role_id=role.pk, replacement_id=handler_role.pk)
    assert not Role.objects.filter(pk=role.pk).exists()
    assert list(person.roles.all()) == [handler_role]
    with pytest.raises(Conflict):
        services.delete_role(actor=admin, role_id=handler_role.pk)


def test_last_admin_is_protected(admin):
    admin_role = Role.objects.get(code="admin")
    with pytest.raises(Conflict):
        services.set_role_members(actor=admin, role_id=admin_role.pk, user_ids=[])
    with pytest.raises(Conflict):
        services.update_user(actor=admin, user_id=admin.pk, data={"roles": []})
    other = factories.UserFactory()
    services.set_role_members(actor=admin, role_id=admin_role.pk, user_ids=[admin.pk, other.pk])
    services.update_user(actor=admin, user_id=admin.pk, data={"roles": []})
    assert not admin.roles.exists()


def test_only_role_managers_write_roles(db):
    handler = factories.handler()
    with pytest.raises(PermissionDenied):
        services.create_role(actor=handler, data={"name": "x", "permissions": []})


def test_create_user_validates_every_field_at_once(admin):
    factories.UserFactory(username="taken", wecom_userid="W1")
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            actor=admin,
            data={
                "username": "Taken",
                "email": "not-an-email",
                "wecom_userid": "W1",
                "main_department": 99999,
                "roles": [99999],
            },
        )
    assert set(exc.value.errors) == {
        "username",
        "email",
        "wecom_userid",
        "main_department",
        "roles",
    }


def test_create_and_update_user_with_org_links(admin):
    department = services.create_department(actor=admin, data={"name": "运维组"})
    leader = factories.UserFactory()
    user = services.create_user(
        actor=admin,
        data={
            "username": "liwei",
            "display_name": "李伟",
            "email": "liwei@example.com",
            "main_department": department.pk,
            "direct_leaders": [leader.pk],
            "roles": [Role.objects.get(code="handler").pk],
            "password": "Secure-pass-2026",
        },
    )
    assert user.check_password("Secure-pass-2026")
    assert list(user.direct_leaders.all()) == [leader]
    assert user.has_perm_code("tickets.handle")
    with pytest.raises(ValidationFailed):
        services.update_user(actor=admin, user_id=user.pk, data={"direct_leaders": [user.pk]})
    services.update_user(actor=admin, user_id=user.pk, data={"is_available": False})
    user.refresh_from_db()
    assert user.is_available is False
    audit = AuditEntry.objects.filter(object_id=str(user.pk), action="update").get()
    assert audit.changes == {"is_available": [True, False]}


def test_department_tree_rules(admin):
    root = services.create_department(actor=admin, data={"name": "技术部"})
    child = services.create_department(actor=admin, data={"name": "运维组", "parent": root.pk})
    with pytest.raises(ValidationFailed) as exc:
        services.update_department(actor=admin, department_id=root.pk, data={"parent": child.pk})
    assert "parent" in exc.value.errors
    with pytest.raises(Conflict):
        services.delete_department(actor=admin, department_id=root.pk)
    factories.UserFactory(main_department=child)
    with pytest.raises(Conflict):
        services.delete_department(actor=admin, department_id=child.pk)
    with pytest.raises(NotFound):
        services.delete_department(actor=admin, department_id=424242)
    lonely = services.create_department(actor=admin, data={"name": "空部门"})
    services.delete_department(actor=admin, department_id=lonely.pk)
    assert not Department.objects.filter(pk=lonely.pk).exists()
    assert (
        AuditEntry.objects.filter(object_type="accounts.department", action="delete").count() == 1
    )
