"""Names and other one-line fields refuse control characters (CR/LF, NUL, the Unicode line
separators) through the API and the forms: a newline in a queue or role name would end up in
e-mail subjects, WeCom cards, CSV exports and HTTP headers."""

import pytest

from andon.accounts.models import Department, Role
from andon.catalog.models import CatalogEntry
from andon.customers.models import Contact, Customer, CustomerGroupChat
from andon.fields.models import FieldDefinition
from andon.knowledge.models import Article
from andon.notifications.models import Webhook
from andon.ola.models import BusinessCalendar
from andon.queues.models import Queue
from tests import factories
from tests.api.conftest import assert_error, client_for
from tests.web.helpers import login

pytestmark = pytest.mark.django_db

BAD = ["值班\r\n队", "值班\x00队", "值班\u2028队", "值班\t队", "值班\x1b[31m队"]
WEEK = {"mon": [["09:00", "18:00"]]}


def _api_cases(entry):
    return [
        ("/api/v1/queues/", lambda v: {"name": v}, "name", Queue),
        ("/api/v1/catalog/", lambda v: {"name": v}, "name", CatalogEntry),
        (
            "/api/v1/fields/",
            lambda v: {"name": v, "type": "text", "required": False, "scope": [entry.pk]},
            "name",
            FieldDefinition,
        ),
        (
            "/api/v1/fields/",
            lambda v: {
                "name": "影响",
                "type": "select",
                "required": False,
                "options": ["高", v],
                "scope": [entry.pk],
            },
            "options",
            FieldDefinition,
        ),
        (
            "/api/v1/fields/",
            lambda v: {
                "name": "影响",
                "type": "text",
                "required": False,
                "help_text": v,
                "scope": [entry.pk],
            },
            "help_text",
            FieldDefinition,
        ),
        ("/api/v1/roles/", lambda v: {"name": v, "permissions": []}, "name", Role),
        ("/api/v1/departments/", lambda v: {"name": v}, "name", Department),
        (
            "/api/v1/calendars/",
            lambda v: {"name": v, "weekly_windows": WEEK},
            "name",
            BusinessCalendar,
        ),
        ("/api/v1/customers/", lambda v: {"name": v}, "name", Customer),
        ("/api/v1/contacts/", lambda v: {"name": v}, "name", Contact),
        ("/api/v1/contacts/", lambda v: {"name": "王", "phone": v}, "phone", Contact),
        (
            "/api/v1/group-chats/",
            lambda v: {"chat_id": "wr1", "name": v},
            "name",
            CustomerGroupChat,
        ),
        (
            "/api/v1/webhooks/",
            lambda v: {"name": v, "url": "https://93.184.216.34/h"},
            "name",
            Webhook,
        ),
        ("/api/v1/articles/", lambda v: {"title": v}, "title", Article),
        ("/api/v1/articles/", lambda v: {"title": "打印机", "tags": [v]}, "tags", Article),
    ]


CASE_IDS = [
    "queue",
    "catalog",
    "field-name",
    "field-option",
    "field-help",
    "role",
    "department",
    "calendar",
    "customer",
    "contact-name",
    "contact-phone",
    "group-chat",
    "webhook",
    "article-title",
    "article-tag",
]


@pytest.mark.parametrize("case", range(len(CASE_IDS)), ids=CASE_IDS)
@pytest.mark.parametrize("value", BAD, ids=["crlf", "nul", "u2028", "tab", "escape"])
def test_api_refuses_control_characters(case, value, entry):
    url, payload, field, model = _api_cases(entry)[case]
    before = model.objects.count()
    response = client_for(factories.admin()).post(url, payload(value), format="json")
    body = assert_error(response, 400, field=field)
    if "\x00" not in value:  # NUL is refused by DRF's own check first, in its own words
        assert "换行或控制字符" in " ".join(body["errors"][field])
    assert model.objects.count() == before
    # The same without the bad character goes through.
    ok = client_for(factories.admin()).post(url, payload("值班队"), format="json")
    assert ok.status_code == 201, ok.content


FORMS = [
    ("/config/queues/new/", {"name": "值班\r\n队", "dispatch_rule": "manual"}, {}, Queue),
    (
        "/config/catalog/entries/",
        {"name": "值班\r\n队"},
        {"HTTP_HX_REQUEST": "true"},
        CatalogEntry,
    ),
    ("/config/org/roles/", {"name": "值班\r\n长", "permissions": ["reports.view"]}, {}, Role),
    (
        "/config/ola/calendars/new/",
        {"name": "二线\r\n日历", "time_zone": "Asia/Shanghai", "day_mon": "09:00-18:00"},
        {},
        BusinessCalendar,
    ),
]


@pytest.mark.parametrize(
    ("url", "data", "extra", "model"), FORMS, ids=["queue", "catalog", "role", "calendar"]
)
def test_forms_refuse_control_characters(client, url, data, extra, model):
    login(client, factories.admin())
    before = model.objects.count()
    response = client.post(url, data, **extra)
    # The form is shown again with the reason (the roles page answers 200, the others 400).
    assert response.status_code in (200, 400), response.status_code
    assert "换行或控制字符" in response.content.decode()
    assert model.objects.count() == before


def test_field_form_refuses_control_characters(client, entry):
    from django.urls import reverse

    login(client, factories.admin())
    response = client.post(
        reverse("config:field_create"),
        {"name": "影\r\n响", "type": "text", "required": "false", "scope": [entry.pk]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "换行或控制字符" in response.content.decode()
    assert not FieldDefinition.objects.exists()
