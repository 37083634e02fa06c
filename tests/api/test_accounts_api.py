"""Token log-in, /me/, people and departments."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from andon.accounts.models import Department
from tests import factories
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ME = "/api/v1/me/"


def test_token_flow_end_to_end(world):
    client = APIClient()
    assert_error(client.get(ME), 401, "not_authenticated")
    response = client.post(TOKEN, {"username": "handler", "password": "pass-1234"}, format="json")
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    assert set(response.json()) == {"token"}
    assert Token.objects.get(user=world.handler).key == token
    # Asking again gives the same token.
    again = client.post(TOKEN, {"username": "handler", "password": "pass-1234"})
    assert again.json()["token"] == token

    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = client.get(ME)
    assert me.status_code == 200
    assert me.json()["username"] == "handler"
    ticket = world.ticket()
    claimed = client.post(f"/api/v1/tickets/{ticket.pk}/claim/")
    assert claimed.status_code == 200
    assert claimed.json()["status"] == "processing"

    # Revoking the token logs this client out.
    assert client.delete(TOKEN).status_code == 204
    assert not Token.objects.filter(key=token).exists()
    assert_error(client.get(ME), 401, "authentication_failed")


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "handler", "password": "wrong"},
        {"username": "ghost", "password": "pass-1234"},
    ],
)
def test_bad_credentials_are_400_in_the_error_shape(world, payload):
    response = APIClient().post(TOKEN, payload, format="json")
    body = assert_error(response, 400, "invalid_credentials", field="non_field_errors")
    assert body["detail"] == "用户名或密码不正确"


def test_inactive_users_get_no_token(world):
    world.handler.is_active = False
    world.handler.save()
    response = APIClient().post(TOKEN, {"username": "handler", "password": "pass-1234"})
    assert_error(response, 400, "invalid_credentials")


def test_token_request_shape_is_validated(db):
    response = APIClient().post(TOKEN, {"username": ["x"]}, format="json")
    body = assert_error(response, 400, "invalid")
    assert set(body["errors"]) == {"username", "password"}


def test_token_login_ignores_a_stale_token_header(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post(TOKEN, {"username": "handler", "password": "pass-1234"})
    assert response.status_code == 200


def test_bad_token_is_401_with_a_challenge(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token nope")
    response = client.get(ME)
    assert_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


def test_revoking_needs_a_login(db):
    assert_error(APIClient().delete(TOKEN), 401, "not_authenticated")


def test_me_describes_the_caller(api, world):
    department = factories.DepartmentFactory(name="信息部")
    world.handler.main_department = department
    world.handler.mobile = "13800000000"
    world.handler.save()
    body = api(world.handler).get(ME).json()
    assert body["id"] == world.handler.pk
    assert body["name"] == world.handler.name
    assert body["email"] == "handler@example.com"
    assert body["mobile"] == "13800000000"
    assert body["department"] == {"id": department.pk, "name": "信息部"}
    assert [r["code"] for r in body["roles"]] == ["handler"]
    assert body["permissions"] == sorted(
        [
            "tickets.create",
            "tickets.handle",
            "people.view",
            "customers.view",
            "knowledge.view",
            "reports.view",
        ]
    )
    assert body["queues"] == [{"id": world.queue.pk, "name": "桌面运维"}]


def test_me_for_admin_and_for_nobody(api, world):
    admin = api(world.admin).get(ME).json()
    assert "queues.manage" in admin["permissions"]
    assert "catalog.manage" in admin["permissions"]
    nobody = api(world.nobody).get(ME).json()
    assert nobody["permissions"] == []
    assert nobody["roles"] == []
    assert nobody["queues"] == []
    assert nobody["department"] is None


def test_session_login_works_for_the_browser(world):
    client = APIClient()
    client.force_login(world.observer)
    assert client.get(ME).json()["username"] == "observer"


# --- users ------------------------------------------------------------------------------------

USERS = "/api/v1/users/"


def test_users_list_and_search(api, world):
    world.teammate.display_name = "王小明"
    world.teammate.save()
    gone = factories.UserFactory(username="gone", is_active=False)
    client = api(world.agent)
    everyone = client.get(USERS).json()
    usernames = [u["username"] for u in everyone["results"]]
    assert "handler" in usernames and "teammate" in usernames
    assert gone.username not in usernames
    found = client.get(USERS, {"q": "小明"}).json()["results"]
    assert [u["username"] for u in found] == ["teammate"]
    assert found[0]["name"] == "王小明"
    assert set(found[0]) == {
        "id",
        "username",
        "name",
        "email",
        "mobile",
        "department",
        "is_available",
    }
    assert found[0]["is_available"] is False
    by_mail = client.get(USERS, {"q": "admin@example"}).json()["results"]
    assert [u["username"] for u in by_mail] == ["admin"]


def test_users_list_needs_people_view(api, world):
    assert_error(api(world.nobody).get(USERS), 403, "permission_denied")
    assert_error(api().get(USERS), 401, "not_authenticated")
    assert_error(api(world.agent).get(USERS, {"q": "x" * 101}), 400, "invalid", field="q")


# --- departments ----------------------------------------------------------------------------------

DEPARTMENTS = "/api/v1/departments/"


def test_departments_come_as_a_tree_in_order(api, world):
    root = Department.objects.create(name="总部", order=0)
    tech = Department.objects.create(name="技术部", parent=root, order=2)
    sales = Department.objects.create(name="销售部", parent=root, order=1)
    ops = Department.objects.create(name="运维组", parent=tech, order=0)
    branch = Department.objects.create(name="上海分公司", order=1)
    tech.leaders.add(world.handler)
    rows = api(world.observer).get(DEPARTMENTS).json()
    assert [(r["name"], r["depth"], r["parent"]) for r in rows] == [
        ("总部", 0, None),
        ("销售部", 1, root.pk),
        ("技术部", 1, root.pk),
        ("运维组", 2, tech.pk),
        ("上海分公司", 0, None),
    ]
    assert rows[2]["leaders"] == [
        {"id": world.handler.pk, "username": "handler", "name": world.handler.name}
    ]
    assert rows[0]["leaders"] == []
    assert {r["id"] for r in rows} == {root.pk, tech.pk, sales.pk, ops.pk, branch.pk}


def test_departments_need_people_view(api, world):
    assert_error(api(world.nobody).get(DEPARTMENTS), 403, "permission_denied")
    assert_error(api().get(DEPARTMENTS), 401, "not_authenticated")
