"""The 权限管理 and 组织架构 configuration pages, through Django's test client."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from andon.accounts.models import Department, ImportJob, Role, User
from andon.audit.models import AuditEntry
from tests import factories
from tests.web.helpers import login

PAGES = [
    ("config:roles", "roles.manage"),
    ("config:people", "people.manage"),
    ("config:person_create", "people.manage"),
    ("config:departments", "people.manage"),
    ("config:import", "people.manage"),
]


@pytest.fixture
def admin(db):
    return factories.admin(username="boss", display_name="老板")


@pytest.mark.parametrize("url_name,code", PAGES)
@pytest.mark.parametrize("role_code", ["agent", "handler", "observer", None])
def test_only_admins_open_the_pages(client, db, url_name, code, role_code):
    user = factories.UserFactory(role_codes=[role_code] if role_code else [])
    login(client, user)
    assert client.get(reverse(url_name)).status_code == 403


@pytest.mark.parametrize("url_name,code", PAGES)
def test_admin_opens_every_page_and_anonymous_is_sent_to_login(client, admin, url_name, code):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    login(client, admin)
    assert client.get(reverse(url_name)).status_code == 200


def test_custom_role_with_people_manage_opens_people_but_not_roles(client, db):
    role = Role.objects.create(name="人事", permissions=["people.manage"])
    clerk = factories.UserFactory()
    clerk.roles.add(role)
    login(client, clerk)
    assert client.get(reverse("config:people")).status_code == 200
    assert client.get(reverse("config:roles")).status_code == 403
    assert client.get(reverse("config:audit")).status_code == 403


def test_posts_need_a_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    login(client, admin)
    for url, data in [
        (reverse("config:roles"), {"name": "x"}),
        (reverse("config:person_create"), {"username": "x"}),
        (reverse("config:departments"), {"name": "x"}),
        (reverse("config:person_deactivate", args=[admin.pk]), {}),
    ]:
        assert client.post(url, data).status_code == 403
    assert not Role.objects.filter(name="x").exists()
    assert not Department.objects.exists()


# --- roles ------------------------------------------------------------------------------------


def test_admin_role_page_shows_every_bit_locked(client, admin):
    login(client, admin)
    admin_role = Role.objects.get(code="admin")
    html = client.get(reverse("config:role", args=[admin_role.pk])).content.decode()
    assert "只能添加或移除成员" in html
    assert html.count('name="permissions"') == html.count("checked disabled")
    assert "boss" in html
    response = client.post(reverse("config:role", args=[admin_role.pk]), {"name": "x"})
    assert response.status_code == 400
    assert "不能修改" in response.content.decode()


def test_create_edit_members_and_delete_a_custom_role(client, admin):
    login(client, admin)
    response = client.post(
        reverse("config:roles"),
        {
            "name": "值班长",
            "description": "夜班",
            "permissions": ["tickets.manage", "reports.view"],
        },
    )
    role = Role.objects.get(name="值班长")
    assert response["Location"] == reverse("config:role", args=[role.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'value="tickets.manage" checked' in page
    assert 'value="queues.manage">' in page
    client.post(
        reverse("config:role", args=[role.pk]), {"name": "值班长", "permissions": ["reports.view"]}
    )
    role.refresh_from_db()
    assert role.permissions == ["reports.view"]
    person = factories.UserFactory()
    client.post(
        reverse("config:role_members", args=[role.pk]), {"action": "add", "user": person.pk}
    )
    assert list(role.users.all()) == [person]
    refused = client.post(reverse("config:role_delete", args=[role.pk]), {"replacement": ""})
    assert refused.status_code == 400 and "请先选择替代角色" in refused.content.decode()
    observer = Role.objects.get(code="observer")
    done = client.post(reverse("config:role_delete", args=[role.pk]), {"replacement": observer.pk})
    assert done["Location"] == reverse("config:roles")
    assert not Role.objects.filter(pk=role.pk).exists()
    assert person.roles.filter(pk=observer.pk).exists()
    client.post(
        reverse("config:role_members", args=[observer.pk]), {"action": "remove", "user": person.pk}
    )
    assert not person.roles.filter(pk=observer.pk).exists()


def test_duplicate_role_name_is_shown_on_the_form(client, admin):
    login(client, admin)
    response = client.post(reverse("config:roles"), {"name": "处理人"})
    assert response.status_code == 200
    assert "已存在" in response.content.decode()


# --- people -----------------------------------------------------------------------------------


def test_people_list_filters(client, admin):
    tech = Department.objects.create(name="技术部")
    wang = factories.handler(username="wang", display_name="王芳", main_department=tech)
    factories.requester(username="li", display_name="李军")
    gone = factories.UserFactory(username="gone", is_active=False)
    login(client, admin)
    url = reverse("config:people")
    html = client.get(url).content.decode()
    assert "王芳" in html and "李军" in html and "gone" not in html
    assert "李军" not in client.get(url, {"q": "王"}).content.decode()
    by_department = client.get(url, {"department": tech.pk}).content.decode()
    assert "王芳" in by_department and "李军" not in by_department
    handler_role = Role.objects.get(code="handler")
    by_role = client.get(url, {"role": handler_role.pk}).content.decode()
    assert "王芳" in by_role and "李军" not in by_role
    assert gone.username in client.get(url, {"active": "0"}).content.decode()
    assert wang.username in client.get(url, {"active": "all", "department": "x"}).content.decode()


@pytest.mark.parametrize("size", [3, 40])
def test_people_list_queries_do_not_grow(client, admin, size, django_assert_max_num_queries):
    department = Department.objects.create(name="技术部")
    for _ in range(size):
        person = factories.handler(main_department=department)
        person.direct_leaders.add(admin)
    login(client, admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("config:people"))
    assert response.status_code == 200


def test_create_and_edit_a_person_through_the_form(client, admin):
    department = Department.objects.create(name="运维组")
    handler_role = Role.objects.get(code="handler")
    login(client, admin)
    response = client.post(
        reverse("config:person_create"),
        {
            "username": "zhaoliu",
            "display_name": "赵六",
            "email": "zl@example.com",
            "main_department": department.pk,
            "direct_leaders": [admin.pk],
            "roles": [handler_role.pk],
            "is_available": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = User.objects.get(username="zhaoliu")
    assert person.main_department == department and list(person.direct_leaders.all()) == [admin]
    assert person.is_available
    page = client.get(reverse("config:person", args=[person.pk])).content.decode()
    assert 'value="zhaoliu"' in page
    client.post(
        reverse("config:person", args=[person.pk]),
        {"username": "zhaoliu", "display_name": "赵六六", "roles": [handler_role.pk]},
    )
    person.refresh_from_db()
    assert person.display_name == "赵六六" and person.is_available is False
    assert person.main_department is None


def test_person_form_shows_service_errors(client, admin):
    login(client, admin)
    response = client.post(
        reverse("config:person_create"), {"username": "boss", "email": "not-an-email"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "已存在" in html or "邮箱" in html
    assert User.objects.filter(username="boss").count() == 1


def test_deactivate_flow_asks_for_a_successor(client, admin, queue, entry, requester):
    owner = factories.handler(display_name="将离职")
    factories.add_members(queue, owner)
    ticket = factories.make_ticket(actor=requester, entry=entry)
    assert ticket.assignee == owner
    successor = factories.handler(display_name="接手人")
    login(client, admin)
    url = reverse("config:person_deactivate", args=[owner.pk])
    page = client.get(url).content.decode()
    assert "名下还有 1 张未完成的工单" in page and "接手人" in page
    refused = client.post(url, {"successor": ""})
    assert refused.status_code == 409
    assert "请选择接手人" in refused.content.decode()
    done = client.post(url, {"successor": successor.pk})
    assert done["Location"] == reverse("config:person", args=[owner.pk])
    owner.refresh_from_db()
    ticket.refresh_from_db()
    assert not owner.is_active and ticket.assignee == successor
    assert "重新启用" in client.get(done["Location"]).content.decode()
    client.post(reverse("config:person_reactivate", args=[owner.pk]))
    owner.refresh_from_db()
    assert owner.is_active


# --- departments --------------------------------------------------------------------------------


def test_department_tree_add_edit_move_delete(client, admin):
    login(client, admin)
    url = reverse("config:departments")
    client.post(url, {"name": "总部", "leaders": [admin.pk], "order": 0})
    root = Department.objects.get(name="总部")
    client.post(url, {"name": "技术部", "parent": root.pk})
    tech = Department.objects.get(name="技术部")
    html = client.get(url).content.decode()
    assert html.index("总部") < html.index("技术部") and "老板" in html
    assert client.post(url, {"name": ""}).status_code == 400
    moved = client.post(
        reverse("config:department", args=[root.pk]), {"name": "总部", "parent": tech.pk}
    )
    assert moved.status_code == 400 and "下级部门" in moved.content.decode()
    client.post(reverse("config:department", args=[tech.pk]), {"name": "研发部", "parent": ""})
    tech.refresh_from_db()
    assert tech.name == "研发部" and tech.parent is None
    factories.UserFactory(main_department=tech)
    response = client.post(reverse("config:department_delete", args=[tech.pk]), follow=True)
    assert "还有成员" in response.content.decode()
    client.post(reverse("config:department_delete", args=[root.pk]))
    assert not Department.objects.filter(pk=root.pk).exists()
    assert AuditEntry.objects.filter(object_type="accounts.department", action="delete").exists()


# --- import -----------------------------------------------------------------------------------

PEOPLE_CSV = "账号,姓名,邮箱,部门\nzhou,周一,zhou@example.com,总部/技术部\nwu,吴二,bad-mail,总部\n"


def test_import_preview_confirm_progress_done(client, admin, django_capture_on_commit_callbacks):
    login(client, admin)
    upload = SimpleUploadedFile("people.csv", PEOPLE_CSV.encode("utf-8-sig"))
    response = client.post(reverse("config:import"), {"kind": "people", "file": upload})
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("config:import_job", args=[job.pk])
    preview = client.get(response["Location"]).content.decode()
    assert "1 行可以导入，1 行有错误将被跳过" in preview
    assert preview.count("row-error") == 1 and "邮箱格式不正确" in preview
    assert not User.objects.filter(username="zhou").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(response["Location"])
    job.refresh_from_db()
    assert job.state == ImportJob.State.DONE
    page = client.get(response["Location"]).content.decode()
    assert "100 %" in page and "导入完成：新建 1，更新 0，跳过 1" in page
    progress = client.get(reverse("config:import_progress", args=[job.pk]))
    assert "hx-get" not in progress.content.decode() and "100 %" in progress.content.decode()
    assert User.objects.get(username="zhou").main_department.name == "技术部"
    # Confirming twice does nothing more.
    again = client.post(response["Location"], follow=True)
    assert "已确认过" in again.content.decode()


def test_queued_job_polls_until_done(client, admin):
    job = ImportJob.objects.create(
        kind="people",
        file_name="a.csv",
        created_by=admin,
        created_at=admin.date_joined,
        total=10,
        processed=4,
        state=ImportJob.State.RUNNING,
    )
    login(client, admin)
    html = client.get(reverse("config:import_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="load delay:1s"' in html and "40 %" in html
    other = factories.admin()
    login(client, other)
    assert client.get(reverse("config:import_progress", args=[job.pk])).status_code == 404
    assert client.get(reverse("config:import_job", args=[job.pk])).status_code == 404


def test_import_page_shows_file_errors(client, admin):
    login(client, admin)
    upload = SimpleUploadedFile("people.txt", b"hello")
    response = client.post(reverse("config:import"), {"kind": "people", "file": upload})
    assert response.status_code == 400 and "CSV 或 XLSX" in response.content.decode()


def test_export_links_download(client, admin):
    login(client, admin)
    html = client.get(reverse("config:people")).content.decode()
    assert "/api/v1/exports/people.csv" in html
    response = client.get("/api/v1/exports/people.csv")
    assert response.status_code == 200 and "boss" in response.content.decode("utf-8-sig")
