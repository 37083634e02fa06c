"""OpenAPI schema, offline docs, and the error shape for requests that reach no endpoint."""

import re

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_schema_endpoint_serves_valid_openapi(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="x"))
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document
    paths = schema["paths"]
    for path in (
        "/api/v1/auth/token/",
        "/api/v1/me/",
        "/api/v1/tickets/",
        "/api/v1/tickets/{ticket_id}/",
        "/api/v1/tickets/{ticket_id}/claim/",
        "/api/v1/tickets/{ticket_id}/need-info/",
        "/api/v1/tickets/{ticket_id}/comments/",
        "/api/v1/tickets/{ticket_id}/events/",
        "/api/v1/queues/",
        "/api/v1/catalog/",
        "/api/v1/users/",
        "/api/v1/departments/",
    ):
        assert path in paths, path
    # Action bodies and filters are documented, not guessed.
    transfer = paths["/api/v1/tickets/{ticket_id}/transfer/"]["post"]
    body_ref = transfer["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("/TransferRequest")
    assert set(transfer["responses"]) >= {"200", "400", "403", "404", "409"}
    urge = paths["/api/v1/tickets/{ticket_id}/urge/"]["post"]
    assert "429" in urge["responses"]
    filters = {p["name"] for p in paths["/api/v1/tickets/"]["get"]["parameters"]}
    assert filters >= {"status", "priority", "queue", "assignee", "requester", "catalog_entry", "q"}
    assert "cursor" in filters
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "errors"}
    operation_ids = [
        op["operationId"] for item in paths.values() for op in item.values() if "operationId" in op
    ]
    assert len(operation_ids) == len(set(operation_ids))


def test_schema_generation_has_no_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["info"]["title"] == "Andon API"


def test_docs_render_offline(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="x"))
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    lowered = html.lower()
    for cdn in ("cdn", "unpkg", "jsdelivr"):
        assert cdn not in lowered, cdn
    # Every asset the page loads is served from this site.
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    assert all(url.startswith("/") for url in assets), assets
    assert any("drf_spectacular_sidecar" in url for url in assets)


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here/", "/api/v2/tickets/", "/api/v1/tickets/abc/claim/", "/api/x"],
)
def test_unknown_api_paths_are_json_404(api, world, path):
    assert_error(api(world.admin).get(path), 404, "not_found")
    assert_error(api(world.admin).post(path, {}, format="json"), 404, "not_found")


def test_a_missing_trailing_slash_is_explained(api, world):
    body = assert_error(api(world.admin).get("/api/v1/tickets"), 404, "not_found")
    assert "/api/v1/tickets/" in body["detail"]


def test_wrong_method_is_405_in_the_error_shape(api, world):
    assert_error(api(world.admin).delete("/api/v1/tickets/"), 405, "method_not_allowed")
    assert_error(api(world.admin).put("/api/v1/me/", {}), 405, "method_not_allowed")


def test_session_writes_need_csrf(world):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.requester)
    response = client.post(
        "/api/v1/tickets/", {"title": "x", "catalog_entry": world.entry.pk}, format="json"
    )
    body = assert_error(response, 403, "permission_denied")
    assert "CSRF" in body["detail"]
