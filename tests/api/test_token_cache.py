"""API tokens are authenticated from the configuration cache (andon.accounts.authentication), and
every way a token stops being valid takes effect on the very next request. The requests commit
(transactional tests), so invalidation goes through the shared cache's published tokens, as it
does between processes in production."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from andon.accounts import services as account_services
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def token_reads(context) -> list[str]:
    return [q["sql"] for q in context.captured_queries if "authtoken_token" in q["sql"]]


def me(client):
    return client.get("/api/v1/me/")


@pytest.fixture
def person():
    factories.ensure_builtin_roles()
    return factories.handler(username="zhang", password="old-pass-1234")


def test_a_known_token_is_read_once_then_served_from_the_cache(person):
    api = client_for(person)
    assert me(api).status_code == 200
    with CaptureQueriesContext(connection) as context:
        response = me(api)
    assert response.status_code == 200 and response.json()["username"] == "zhang"
    assert token_reads(context) == []


def test_an_unknown_token_is_refused_every_time_and_never_cached(person):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _ in range(2):
        with CaptureQueriesContext(connection) as context:
            assert me(api).status_code == 401
        assert len(token_reads(context)) == 1


def test_revoking_the_token_refuses_it_on_the_next_request(person):
    api = client_for(person)
    assert me(api).status_code == 200
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert me(api).status_code == 401


def test_a_rotated_token_refuses_the_old_key_and_accepts_the_new(person):
    old = client_for(person)
    assert me(old).status_code == 200
    assert old.delete("/api/v1/auth/token/").status_code == 204
    login = APIClient().post(
        "/api/v1/auth/token/", {"username": "zhang", "password": "old-pass-1234"}, format="json"
    )
    assert login.status_code == 200
    new = APIClient()
    new.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    assert me(new).status_code == 200
    assert me(old).status_code == 401


def test_deactivation_refuses_the_token_on_the_next_request(person):
    admin = factories.admin(username="boss")
    api = client_for(person)
    assert me(api).status_code == 200
    account_services.deactivate_user(actor=admin, user_id=person.pk)
    assert me(api).status_code == 401


def test_a_deactivated_person_whose_token_row_survived_is_refused(person):
    """Even if a token outlived the deactivation (written behind the services' back), the
    user row's change alone invalidates the cached one."""
    api = client_for(person)
    assert me(api).status_code == 200
    key = Token.objects.get(user=person).key
    person.is_active = False
    person.save(update_fields=["is_active"])
    assert Token.objects.filter(key=key).exists()
    assert me(api).status_code == 401


def test_a_password_change_revokes_the_token(person):
    api = client_for(person)
    assert me(api).status_code == 200
    account_services.change_own_password(user=person, password="new-pass-5678")
    assert me(api).status_code == 401


def test_a_changed_person_is_seen_on_the_next_request(person):
    api = client_for(person)
    assert me(api).json()["name"] != "张三"
    person.display_name = "张三"
    person.save(update_fields=["display_name"])
    assert me(api).json()["name"] == "张三"
