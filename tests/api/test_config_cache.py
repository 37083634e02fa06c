"""Cached configuration is invalidated by the writes that change it: an edit made through a
service is seen by the very next ticket filed, once the edit has committed (and inside the
editing transaction itself), while a rolled-back edit changes nothing."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from andon.catalog import services as catalog_services
from andon.catalog.selectors import entry_for_filing
from andon.core import config_cache
from andon.fields import services as field_services
from andon.ola import calendar_services, policy_services
from andon.ola.models import OlaTimer
from andon.ola.selectors import calendar_spec
from andon.queues import services as queue_services
from andon.tickets.models import Ticket
from tests import factories
from tests.api.conftest import client_for

OFFICE = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def file(desk, **extra):
    return client_for(desk.requester).post(
        "/api/v1/tickets/",
        {"title": "打印机卡纸", "catalog_entry": desk.entry.pk, **extra},
        format="json",
    )


@pytest.fixture
def desk(world):
    assert file(world).status_code == 201  # every cache on the create path is warm now
    return world


@pytest.mark.django_db(transaction=True)
def test_a_retired_entry_is_refused_at_once(desk):
    catalog_services.retire_catalog_entry(actor=desk.admin, entry_id=desk.entry.pk)
    response = file(desk)
    assert response.status_code == 400
    assert response.json()["errors"]["catalog_entry"] == ["该服务目录已停用"]


@pytest.mark.django_db(transaction=True)
def test_a_disabled_queue_is_refused_at_once(desk):
    queue_services.disable_queue(actor=desk.admin, queue_id=desk.queue.pk, confirm=True)
    response = file(desk)
    assert response.status_code == 400
    assert "已停用" in response.json()["errors"]["catalog_entry"][0]


@pytest.mark.django_db(transaction=True)
def test_a_new_required_field_applies_to_the_next_ticket(desk):
    field_services.create_field(
        actor=desk.admin,
        data={
            "name": "资产编号",
            "key": "asset",
            "type": "text",
            "required": True,
            "scope": [desk.entry.pk],
        },
    )
    assert file(desk).json()["errors"] == {"custom_fields.asset": ["资产编号为必填项"]}
    response = file(desk, custom_fields={"asset": "PR-0301"})
    assert response.status_code == 201, response.content
    assert response.json()["custom_fields"] == {"asset": "PR-0301"}


@pytest.mark.django_db(transaction=True)
def test_a_policy_and_its_calendar_apply_to_the_next_ticket(desk):
    calendar = calendar_services.create_calendar(
        actor=desk.admin,
        data={"name": "办公", "weekly_windows": OFFICE, "follows_china_holidays": False},
    )
    policy_services.save_policy(
        actor=desk.admin,
        queue=desk.queue,
        data={
            "calendar": calendar.pk,
            "response_minutes": {"L1": 10, "L2": 20, "L3": 30, "L4": 40},
        },
    )
    pk = file(desk, priority="L3").json()["id"]
    response = OlaTimer.objects.get(ticket_id=pk, metric="response")
    assert response.target_seconds == 30 * 60
    assert response.policy["calendar"] == calendar.pk

    day = dt.date(2031, 3, 3)  # a Monday
    assert day not in calendar_spec(calendar.pk).holidays
    calendar_services.set_calendar_exception(
        actor=desk.admin, calendar_id=calendar.pk, date=day.isoformat(), kind="holiday"
    )
    assert day in calendar_spec(calendar.pk).holidays


@pytest.mark.django_db(transaction=True)
def test_a_granted_role_applies_to_the_next_request(desk):
    nobody = client_for(desk.nobody)
    denied = nobody.post("/api/v1/tickets/", {"title": "x", "catalog_entry": desk.entry.pk})
    assert denied.status_code == 403
    desk.nobody.roles.add(factories.role("agent"))
    allowed = nobody.post(
        "/api/v1/tickets/", {"title": "x", "catalog_entry": desk.entry.pk}, format="json"
    )
    assert allowed.status_code == 201, allowed.content


@pytest.mark.django_db(transaction=True)
def test_a_warm_read_costs_no_query_and_a_commit_invalidates_it(desk):
    with CaptureQueriesContext(connection) as context:
        assert entry_for_filing(desk.entry.pk).queue.is_enabled
    assert len(context.captured_queries) == 0
    queue_services.disable_queue(actor=desk.admin, queue_id=desk.queue.pk, confirm=True)
    assert not entry_for_filing(desk.entry.pk).queue.is_enabled


@pytest.mark.django_db(transaction=True)
def test_the_editing_transaction_reads_its_own_edit_and_a_rollback_publishes_nothing(desk):
    with transaction.atomic():
        queue_services.disable_queue(actor=desk.admin, queue_id=desk.queue.pk, confirm=True)
        assert not entry_for_filing(desk.entry.pk).queue.is_enabled  # its own edit, uncached
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as context:
        assert entry_for_filing(desk.entry.pk).queue.is_enabled
    assert len(context.captured_queries) == 0  # the token did not move: still the cached row


@pytest.mark.django_db(transaction=True)
def test_a_cached_row_is_a_copy(desk):
    entry = entry_for_filing(desk.entry.pk)
    entry.queue.is_enabled = False
    assert entry_for_filing(desk.entry.pk).queue.is_enabled


@pytest.mark.django_db
def test_inside_a_test_transaction_edits_are_read_fresh(world):
    """Non-transactional tests never commit: an area edited in them is read from the database
    for the rest of the test (and the filing sees it)."""
    assert file(world).status_code == 201
    catalog_services.retire_catalog_entry(actor=world.admin, entry_id=world.entry.pk)
    assert file(world).status_code == 400
    assert Ticket.objects.count() == 1


def test_every_area_has_a_token_store_shared_by_processes(settings):
    """The tokens live in the `config` cache: Redis, or files on one machine, never memory
    private to one process."""
    backend = settings.CACHES[config_cache.CACHE_ALIAS]["BACKEND"]
    assert backend in (
        "andon.core.cache.RedisCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    )
