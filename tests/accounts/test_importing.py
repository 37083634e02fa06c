import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from andon.accounts import importing
from andon.accounts.models import Department, ImportJob, User
from andon.audit.models import AuditEntry
from andon.core.errors import Conflict, PermissionDenied, ValidationFailed
from tests import factories

HEADER = "账号,姓名,邮箱,手机,部门,直属上级,角色,在职,可接单\n"


def csv_upload(text: str, name="people.csv", encoding="utf-8-sig"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture
def admin(db):
    return factories.admin(username="boss")


def test_preview_reports_per_row_errors_and_changes_nothing(admin):
    upload = csv_upload(
        HEADER
        + "wangfang,王芳,wangfang@example.com,13800000001,技术部/运维组,boss,处理人,是,是\n"
        + ",无账号,,,,,,,\n"
        + "lijun,李军,bad-email,,技术部,nobody,不存在的角色,也许,\n"
        + "wangfang,重复,,,,,,,\n"
    )
    job = importing.start_import(actor=admin, kind="people", upload=upload)
    assert job.state == ImportJob.State.PREVIEW
    assert [row["line"] for row in job.rows] == [2, 3, 4, 5]
    assert job.rows[0]["errors"] == {}
    assert job.rows[0]["action"] == "create"
    assert set(job.rows[1]["errors"]) == {"username"}
    assert set(job.rows[2]["errors"]) == {"email", "direct_leaders", "roles", "is_active"}
    assert job.rows[3]["errors"] == {"username": "文件中重复的账号"}
    assert job.skipped_count == 3
    assert not User.objects.filter(username="wangfang").exists()


def test_confirm_applies_valid_rows_with_departments_leaders_and_roles(
    admin, django_capture_on_commit_callbacks
):
    upload = csv_upload(
        HEADER
        + "zhaolei,赵磊,zl@example.com,,技术部/运维组,wangfang,处理人,是,否\n"
        + 'wangfang,王芳,wf@example.com,,技术部,,"处理人、只读观察员",是,是\n'
        + "boss,老板改名,,,,,,,\n"
        + ",坏行,,,,,,,\n",
        encoding="gb18030",
    )
    job = importing.start_import(actor=admin, kind="people", upload=upload)
    with django_capture_on_commit_callbacks(execute=True):  # the worker runs it on commit
        importing.confirm_import(actor=admin, job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    assert (job.created_count, job.updated_count, job.skipped_count) == (2, 1, 1)
    assert job.processed == job.total == 4
    zhaolei = User.objects.get(username="zhaolei")
    assert zhaolei.main_department.name == "运维组"
    assert zhaolei.main_department.parent.name == "技术部"
    assert zhaolei.is_available is False
    assert list(zhaolei.direct_leaders.values_list("username", flat=True)) == ["wangfang"]
    wangfang = User.objects.get(username="wangfang")
    assert set(wangfang.roles.values_list("code", flat=True)) == {"handler", "observer"}
    assert Department.objects.filter(name="技术部").count() == 1
    admin.refresh_from_db()
    assert admin.display_name == "老板改名"
    assert AuditEntry.objects.filter(action="import").count() == 1
    with pytest.raises(Conflict):
        importing.confirm_import(actor=admin, job_id=job.pk)


def test_xlsx_round_trip_through_export_and_import(admin):
    lead = factories.UserFactory(username="lead")
    department = Department.objects.create(name="客服部")
    person = factories.UserFactory(
        username="agent1", display_name="客服一号", main_department=department
    )
    person.direct_leaders.add(lead)
    content, content_type = importing.export_table(importing.people_rows(), "xlsx")
    assert content_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("账号", "姓名", "邮箱")
    agent_row = next(r for r in rows if r[0] == "agent1")
    assert agent_row[5] == "客服部" and agent_row[6] == "lead"

    upload = SimpleUploadedFile("people.xlsx", content)
    job = importing.start_import(actor=admin, kind="people", upload=upload)
    assert all(not row["errors"] for row in job.rows)
    assert {row["action"] for row in job.rows} == {"update"}


def test_department_import_and_csv_export(admin, django_capture_on_commit_callbacks):
    factories.UserFactory(username="chief")
    upload = csv_upload("部门,负责人\n总部/技术部,chief\n总部/技术部/网络组,\n总部/行政部,ghost\n")
    job = importing.start_import(actor=admin, kind="departments", upload=upload)
    assert job.rows[2]["errors"] == {"leaders": "负责人「ghost」不存在"}
    with django_capture_on_commit_callbacks(execute=True):
        importing.confirm_import(actor=admin, job_id=job.pk)
    job.refresh_from_db()
    assert (job.created_count, job.skipped_count) == (2, 1)
    tech = Department.objects.get(name="技术部")
    assert tech.parent.name == "总部"
    assert list(tech.leaders.values_list("username", flat=True)) == ["chief"]
    content, _ = importing.export_table(importing.department_rows(), "csv")
    text = content.decode("utf-8-sig")
    assert "总部/技术部,chief" in text
    assert "总部/技术部/网络组," in text


def test_bad_files_are_refused_clearly(admin):
    with pytest.raises(ValidationFailed) as exc:
        importing.start_import(actor=admin, kind="people", upload=csv_upload("姓名\n张三\n"))
    assert exc.value.errors == {"file": ["缺少「账号」列"]}
    with pytest.raises(ValidationFailed):
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("x.xlsx", b"not a zip")
        )
    with pytest.raises(ValidationFailed):
        importing.start_import(actor=admin, kind="people", upload=SimpleUploadedFile("x.txt", b"a"))
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ValidationFailed):
        importing.start_import(
            actor=admin, kind="people", upload=SimpleUploadedFile("empty.xlsx", buffer.getvalue())
        )


def test_only_people_managers_import(db):
    with pytest.raises(PermissionDenied):
        importing.start_import(actor=factories.handler(), kind="people", upload=csv_upload(HEADER))
