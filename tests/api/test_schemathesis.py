"""Schemathesis over the whole API: every operation in the OpenAPI document is called with
generated requests by a signed-in administrator (a real token in the Authorization header) on
the demo company. No answer may be a 5xx, and every answer must match the document: status
code, content type, headers and body.

The requests go through the same WSGI application gunicorn serves (every middleware, the
token authentication, the error handler), in this process, so each operation runs inside its
own rolled-back transaction on top of the demo: a DELETE in one operation cannot starve the
next, and the run is the same on SQLite and PostgreSQL. `test_served_schema_is_the_one_tested`
ties the tested document to what `/api/schema/` serves.
"""

import random

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token

from andon.wsgi import application
from tests import factories
from tests.api.conftest import client_for

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEMO_TICKETS = 40
# 5 generated requests per operation (≈130 operations) keeps the run near a minute on 2 cores.
EXAMPLES = 5

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))

# The checks that read the document; "does valid input always succeed" style checks are left
# out because generated ids and states are mostly refused, correctly, with a documented 4xx.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.status_code_conformance,
    schemathesis.specs.openapi.checks.content_type_conformance,
    schemathesis.specs.openapi.checks.response_headers_conformance,
    schemathesis.specs.openapi.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def demo_company(django_db_setup, django_db_blocker):
    """The demo company, loaded once for the module and rolled back afterwards."""
    from andon import demo

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            factories.ensure_builtin_roles()
            demo.load_demo(tickets=DEMO_TICKETS)
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def wsgi_app():
    """The production WSGI application, without the per-request connection close (as in
    Django's test client): the connection holds this test's transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield application
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(demo_company, db):
    from andon.accounts.models import User

    return Token.objects.get_or_create(user=User.objects.get(username="admin"))[0].key


@pytest.fixture
def existing_ids(demo_company, db):
    return _existing_ids()


def _existing_ids() -> dict[str, list[int]]:
    """Ids of real rows for each path parameter, so detail operations reach objects and not
    only 404s."""
    from andon.accounts.models import Department, ImportJob, Role, User
    from andon.catalog.models import CatalogEntry
    from andon.customers.models import Contact, Customer, CustomerGroupChat
    from andon.fields.models import FieldDefinition
    from andon.knowledge.models import Article
    from andon.notifications.models import Notification, OutboxMessage, Webhook
    from andon.ola.models import BusinessCalendar
    from andon.queues.models import Queue
    from andon.tickets.models import Attachment, Ticket

    models = {
        "ticket_id": Ticket,
        "queue_id": Queue,
        "entry_id": CatalogEntry,
        "article_id": Article,
        "calendar_id": BusinessCalendar,
        "contact_id": Contact,
        "customer_id": Customer,
        "group_chat_id": CustomerGroupChat,
        "department_id": Department,
        "field_id": FieldDefinition,
        "job_id": ImportJob,
        "notification_id": Notification,
        "message_id": OutboxMessage,
        "role_id": Role,
        "user_id": User,
        "webhook_id": Webhook,
        "attachment_id": Attachment,
    }
    return {
        name: list(model.objects.order_by("pk").values_list("pk", flat=True)[:50])
        for name, model in models.items()
    }


def _aim_at_real_rows(case, ids: dict[str, list[int]]) -> None:
    """Three times in four, replace generated path ids by ids that exist (deterministically
    from the generated case, so a failure replays)."""
    if not case.path_parameters:
        return
    rng = random.Random(repr(sorted(case.path_parameters.items())))
    for name in list(case.path_parameters):
        if ids.get(name) and rng.random() < 0.75:
            case.path_parameters[name] = rng.choice(ids[name])


@pytest.mark.django_db
def test_served_schema_is_the_one_tested(demo_company, admin_token):
    served = client_for(None)
    served.credentials(HTTP_AUTHORIZATION=f"Token {admin_token}")
    response = served.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert set(response.json()["paths"]) == set(schema.raw_schema["paths"])


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, admin_token, existing_ids, wsgi_app):
    _aim_at_real_rows(case, existing_ids)
    # A generated DELETE /auth/token/ or password change revokes the token; each request
    # signs in afresh.
    from andon.accounts.models import User

    token = Token.objects.get_or_create(user=User.objects.get(username="admin"))[0].key
    response = case.call(app=wsgi_app, headers={"Authorization": f"Token {token}"})
    case.validate_response(response, checks=CHECKS)
