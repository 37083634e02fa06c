"""While WeCom owns the org chart, the API and imports refuse to change what WeCom syncs
(departments, names, leaders, WeCom ids, being active) with 409 `chart_owned_elsewhere`; roles,
availability and contact details stay Andon's."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from andon.accounts import importing
from andon.accounts.models import Department, ImportJob, Role
from andon.core.errors import Conflict
from andon.wecom.models import WeComSettings
from tests import factories
from tests.api.conftest import assert_error

OWNED = "组织架构以企业微信为准"


@pytest.fixture
def wecom_owns_chart(db):
    return WeComSettings.objects.create(wecom_owns_org_chart=True)


def _owned(response, field=None):
    body = assert_error(response, 409, code="chart_owned_elsewhere", field=field)
    assert OWNED in body["detail"]
    return body


def test_people_writes_that_touch_the_chart_are_refused(api, world, wecom_owns_chart):
    department = Department.objects.create(name="运维组")
    client = api(world.admin)
    person = factories.UserFactory(username="wangfang", display_name="王芳")
    url = f"/api/v1/users/{person.pk}/"
    _owned(client.post("/api/v1/users/", {"username": "new"}, format="json"))
    for field, value in [
        ("department", department.pk),
        ("display_name", "王小芳"),
        ("username", "wf"),
        ("wecom_userid", "WangFang"),
        ("direct_leaders", [world.handler.pk]),
    ]:
        _owned(client.patch(url, {field: value, "mobile": "13800000000"}, format="json"), field)
    _owned(client.post(url + "deactivate/", {}, format="json"))
    person.refresh_from_db()
    assert (person.display_name, person.main_department, person.mobile) == ("王芳", None, "")
    assert person.is_active

    # What stays Andon's is still edited here.
    role = Role.objects.get(code="handler")
    response = client.patch(
        url, {"roles": [role.pk], "is_available": False, "mobile": "13800000000"}, format="json"
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.mobile == "13800000000" and not person.is_available


def test_reactivation_is_refused(api, world, wecom_owns_chart):
    person = factories.UserFactory(is_active=False)
    _owned(api(world.admin).post(f"/api/v1/users/{person.pk}/reactivate/", format="json"))
    person.refresh_from_db()
    assert not person.is_active


def test_department_writes_are_refused(api, world, wecom_owns_chart):
    client = api(world.admin)
    department = Department.objects.create(name="运维组")
    url = f"/api/v1/departments/{department.pk}/"
    _owned(client.post("/api/v1/departments/", {"name": "私建部门"}, format="json"))
    _owned(client.patch(url, {"name": "改名"}, format="json"))
    _owned(client.delete(url))
    assert list(Department.objects.values_list("name", flat=True)) == ["运维组"]
    assert client.get("/api/v1/departments/").status_code == 200


def test_imports_are_refused_and_a_preview_cannot_be_confirmed_later(api, world, db):
    client = api(world.admin)
    upload = SimpleUploadedFile("p.csv", "账号,姓名\nzhao,赵一\n".encode(), content_type="text/csv")
    job = client.post("/api/v1/imports/", {"kind": "people", "file": upload}).json()
    WeComSettings.objects.create(wecom_owns_org_chart=True)
    _owned(client.post(f"/api/v1/imports/{job['id']}/confirm/"))
    assert ImportJob.objects.get(pk=job["id"]).state == ImportJob.State.PREVIEW
    again = SimpleUploadedFile("p.csv", "账号,姓名\nqian,钱二\n".encode(), content_type="text/csv")
    _owned(client.post("/api/v1/imports/", {"kind": "people", "file": again}))
    with pytest.raises(Conflict):
        importing.start_import(
            actor=world.admin,
            kind="departments",
            upload=SimpleUploadedFile("d.csv", "部门\n研发\n".encode(), content_type="text/csv"),
        )


def test_without_wecom_owning_the_chart_the_api_edits_it(api, world, db):
    WeComSettings.objects.create(wecom_owns_org_chart=False)
    response = api(world.admin).post("/api/v1/departments/", {"name": "自建"}, format="json")
    assert response.status_code == 201, response.content


def test_a_person_sent_back_unchanged_with_an_edit_of_andons_own_fields_passes(
    api, world, wecom_owns_chart
):
    client = api(world.admin)
    person = factories.UserFactory(username="wangfang", display_name="王芳")
    url = f"/api/v1/users/{person.pk}/"
    current = client.get(url).json()
    response = client.put(url, {**current, "mobile": "13900000000"}, format="json")
    assert response.status_code == 200, response.content
    _owned(client.put(url, {**current, "display_name": "改名"}, format="json"), "display_name")
