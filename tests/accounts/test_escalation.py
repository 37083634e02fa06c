"""No privilege escalation: roles are granted only with roles.manage and only with bits the
granter holds; only an administrator changes an administrator; the people import runs the same
guards and shows refused rows in its preview."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from andon.accounts import importing, services
from andon.accounts.models import ImportJob, Role, User
from andon.core.errors import PermissionDenied, ValidationFailed
from tests import factories
from tests.api.conftest import client_for


def _holding(*codes, **kwargs):
    role = Role.objects.create(name="只有" + "+".join(codes), permissions=list(codes))
    user = factories.UserFactory(**kwargs)
    user.roles.add(role)
    return user


@pytest.fixture
def admin(db):
    return factories.admin(username="boss")


def test_people_manager_cannot_make_itself_admin_or_touch_the_admin(admin):
    hr = _holding("people.manage", "people.view")
    api = client_for(hr)
    admin_role = Role.objects.get(code="admin")
    response = api.patch(f"/api/v1/users/{hr.pk}/", {"roles": [admin_role.pk]}, format="json")
    assert response.status_code == 403, response.content
    assert not hr.roles.filter(code="admin").exists()
    for change in (
        {"password": "Another-strong-pass-9"},
        {"wecom_userid": "evil"},
        {"mobile": "1"},
    ):
        response = api.patch(f"/api/v1/users/{admin.pk}/", change, format="json")
        assert response.status_code == 403, (change, response.content)
    assert api.post(f"/api/v1/users/{admin.pk}/deactivate/", {}, format="json").status_code == 403
    admin.refresh_from_db()
    assert admin.check_password("pass-1234") and admin.wecom_userid is None and admin.is_active
    # Ordinary people remain theirs to manage.
    plain = factories.UserFactory()
    assert (
        api.patch(f"/api/v1/users/{plain.pk}/", {"mobile": "138"}, format="json").status_code == 200
    )


def test_granting_needs_roles_manage_and_only_bits_one_holds(admin):
    roles_manager = _holding("roles.manage", "people.view", "people.manage")
    target = factories.UserFactory()
    handler_role = Role.objects.get(code="handler")  # bits roles_manager lacks
    with pytest.raises(PermissionDenied):
        services.update_user(
            actor=roles_manager, user_id=target.pk, data={"roles": [handler_role.pk]}
        )
    with pytest.raises(PermissionDenied):
        services.set_role_members(
            actor=roles_manager, role_id=handler_role.pk, user_ids=[target.pk]
        )
    with pytest.raises(PermissionDenied):
        services.create_role(
            actor=roles_manager, data={"name": "超级", "permissions": ["tickets.manage"]}
        )
    mine = services.create_role(
        actor=roles_manager, data={"name": "人事", "permissions": ["people.view"]}
    )
    with pytest.raises(PermissionDenied):
        services.update_role(
            actor=roles_manager, role_id=mine.pk, data={"permissions": ["queues.manage"]}
        )
    admin_role = Role.objects.get(code="admin")
    with pytest.raises(PermissionDenied):
        services.set_role_members(
            actor=roles_manager, role_id=admin_role.pk, user_ids=[admin.pk, roles_manager.pk]
        )
    # Without roles.manage no role changes at all, even to bits one holds.
    hr = _holding("people.manage", "people.view")
    with pytest.raises(PermissionDenied):
        services.update_user(actor=hr, user_id=target.pk, data={"roles": [mine.pk]})
    # Within one's own bits it works; an administrator may grant anything.
    services.set_role_members(actor=roles_manager, role_id=mine.pk, user_ids=[target.pk])
    services.update_user(actor=admin, user_id=target.pk, data={"roles": [handler_role.pk]})
    assert set(target.roles.values_list("code", flat=True)) == {"handler"}


def csv_upload(text: str):
    return SimpleUploadedFile("people.csv", text.encode(), content_type="text/csv")


def test_import_preview_shows_refused_rows_and_the_run_applies_only_allowed(
    admin, django_capture_on_commit_callbacks
):
    hr = _holding("people.manage", "people.view", username="hr")
    queue = factories.QueueFactory()
    busy = factories.handler(username="busy")
    factories.add_members(queue, busy)
    factories.make_ticket(actor=admin, entry=factories.catalog_leaf(queue))
    upload = csv_upload(
        "账号,姓名,手机,角色,在职\n"
        "hr,我,,管理员,\n"  # grants itself admin
        "boss,老板,13800000000,,\n"  # edits the administrator
        "hr,,,,否\n".replace("hr,,", "hr2,,")  # unknown in db: plain create
        + "busy,,,,否\n"  # owns an open ticket, no successor in an import
        "newbie,新人,,,\n"
    )
    job = importing.start_import(actor=hr, kind="people", upload=upload)
    errors = {row["data"]["username"]: row["errors"] for row in job.rows}
    assert set(errors["hr"]) == {"roles"}
    assert set(errors["boss"]) == {"username"}
    assert "未完成的工单" in errors["busy"]["is_active"]
    assert errors["newbie"] == {} and errors["hr2"] == {}
    with django_capture_on_commit_callbacks(execute=True):
        importing.confirm_import(actor=hr, job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert job.created_count == 2 and job.skipped_count == 3
    assert not hr.roles.filter(code="admin").exists()
    assert User.objects.get(username="boss").mobile == ""
    assert User.objects.get(username="busy").is_active


def test_import_self_deactivation_and_last_admin_are_refused_in_the_preview(admin):
    job = importing.start_import(
        actor=admin, kind="people", upload=csv_upload("账号,在职\nboss,否\n")
    )
    assert "自己" in job.rows[0]["errors"]["is_active"]


def test_guard_checked_again_when_rows_are_applied(admin, django_capture_on_commit_callbacks):
    """State may change between preview and confirm: the services refuse then, and the row is
    recorded as skipped with the reason."""
    hr = _holding("people.manage", "people.view")
    person = factories.UserFactory(username="later-admin")
    job = importing.start_import(
        actor=hr, kind="people", upload=csv_upload("账号,手机\nlater-admin,1\n")
    )
    assert job.rows[0]["errors"] == {}
    person.roles.add(Role.objects.get(code="admin"))
    with django_capture_on_commit_callbacks(execute=True):
        importing.confirm_import(actor=hr, job_id=job.pk)
    job.refresh_from_db()
    assert job.skipped_count == 1 and job.rows[0]["errors"]
    person.refresh_from_db()
    assert person.mobile == ""


# --- XLSX files that break later --------------------------------------------------------------


def _xlsx(rows, *, dimension: str | None = None) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    # Rewrite the sheet's declared <dimension ref=…> to lie about its size.
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                import re

                data = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), data
                )
            target.writestr(info, data)
    return out.getvalue()


def test_xlsx_declared_dimension_is_ignored(admin):
    content = _xlsx([["账号", "姓名"], ["a1", "甲"], ["a2", "乙"], ["a3", "丙"]], dimension="A1:B1")
    job = importing.start_import(
        actor=admin, kind="people", upload=SimpleUploadedFile("p.xlsx", content)
    )
    assert [row["data"]["username"] for row in job.rows] == ["a1", "a2", "a3"]


def test_xlsx_rows_columns_and_inflated_size_are_capped(admin, monkeypatch):
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    many = _xlsx([["账号"]] + [[f"u{i}"] for i in range(10)], dimension="A1:A2")
    with pytest.raises(ValidationFailed, match="3"):
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("p.xlsx", many)
        )
    wide = _xlsx([["账号"] + [""] * (importing.MAX_COLUMNS - 1) + ["x"]])  # one past the cap
    with pytest.raises(ValidationFailed, match="列"):
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("p.xlsx", wide)
        )
    # A zip whose part inflates past the cap (zeros compress ~1000:1).
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml", b"0" * (importing.MAX_XLSX_UNCOMPRESSED_BYTES + 1)
        )
    assert len(bomb.getvalue()) < importing.MAX_BYTES
    with pytest.raises(ValidationFailed, match="解压"):
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("p.xlsx", bomb.getvalue())
        )


def test_xlsx_is_parsed_outside_any_transaction(admin):
    content = _xlsx([["账号"], ["x1"]])
    with CaptureQueriesContext(connection) as queries:
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("p.xlsx", content)
        )
    assert not any("SAVEPOINT" in q["sql"].upper() for q in queries.captured_queries), [
        q["sql"] for q in queries.captured_queries
    ]
