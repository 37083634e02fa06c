"""What the schemathesis run (test_schemathesis.py) found, each pinned by a plain test."""

import pytest

from tests import factories
from tests.api.conftest import assert_error, client_for

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # one past the largest 64-bit id


def test_id_lists_beyond_64_bits_are_refused_not_a_500(entry):
    client = client_for(factories.admin())
    response = client.post(
        "/api/v1/departments/", {"name": "运维组", "leaders": [TOO_BIG]}, format="json"
    )
    assert_error(response, 400, field="leaders")
    response = client.post(
        "/api/v1/fields/",
        {"name": "型号", "type": "text", "scope": [TOO_BIG]},
        format="json",
    )
    assert_error(response, 400, field="scope")


def test_a_password_that_is_not_a_string_is_refused():
    admin = factories.admin()
    person = factories.requester()
    response = client_for(admin).patch(
        f"/api/v1/users/{person.pk}/", {"password": ["x", "y"]}, format="json"
    )
    assert_error(response, 400, field="password")


def test_a_page_past_the_end_is_bad_input_and_documented():
    client = client_for(factories.admin())
    for page in ("0", "999", "abc"):
        assert_error(client.get("/api/v1/users/", {"page": page}), 400, field="page")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "400" in schema["paths"]["/api/v1/users/"]["get"]["responses"]
    assert "400" in schema["paths"]["/api/v1/audit/"]["get"]["responses"]


def test_schema_describes_what_the_api_answers():
    client = client_for(factories.admin())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    components = schema["components"]["schemas"]
    # Empty e-mail addresses are answered as "": no `email` format on responses.
    for name in ("User", "UserDetail", "Me", "Contact"):
        assert "format" not in components[name]["properties"]["email"], name
    # An article written by hand has no source ticket.
    assert components["Article"]["properties"]["source_ticket"].get("nullable") is True
    # /tickets/ is a cursor page (no count); a customer's tickets are numbered pages.
    assert "count" not in components["PaginatedTicketList"]["properties"]
    contact_tickets = schema["paths"]["/api/v1/contacts/{contact_id}/tickets/"]["get"]
    ref = contact_tickets["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/PagedTicketList")
    assert "count" in components["PagedTicketList"]["properties"]
