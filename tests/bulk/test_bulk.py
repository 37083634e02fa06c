"""Bulk actions: each ticket through its own service (the workflow decides per ticket), a
summary of done and refused with reasons, never a half-changed ticket, and jobs beyond the
inline threshold run (and resume) from the job row."""

import pytest
from django.utils import timezone

from andon.bulk import services
from andon.bulk.models import BulkJob, BulkJobItem, JobState
from andon.core.errors import PermissionDenied, ValidationFailed
from andon.tags.models import TicketTag
from andon.tickets import services as ticket_services
from andon.tickets.models import EventKind, Status, Ticket
from tests.api.conftest import assert_error


def _outcomes(job):
    return {item.ticket_id: (item.ok, item.reason) for item in BulkJobItem.objects.filter(job=job)}


@pytest.mark.django_db
def test_close_reports_done_and_refused_with_reasons(world):
    done = world.ticket(Status.DONE)
    pending = world.ticket()
    hidden_pk = Ticket.objects.order_by("-pk").first().pk + 100
    job = services.start_job(
        actor=world.handler,
        action="close",
        ticket_ids=[done.pk, pending.pk, hidden_pk],
        params={"note": "批量关闭"},
    )
    assert job.state == JobState.FINISHED
    assert (job.total, job.done_count, job.refused_count) == (3, 1, 2)
    outcomes = _outcomes(job)
    assert outcomes[done.pk] == (True, "")
    assert outcomes[pending.pk][0] is False and "待处理" in outcomes[pending.pk][1]
    assert outcomes[hidden_pk] == (False, "工单不存在或无权查看")
    done.refresh_from_db()
    pending.refresh_from_db()
    assert done.status == Status.CLOSED
    assert done.events.filter(kind=EventKind.CLOSED).last().note == "批量关闭"
    assert pending.status == Status.PENDING


@pytest.mark.django_db
def test_claim_transfer_priority_and_tag(world):
    pool = [world.ticket() for _ in range(3)]
    job = services.start_job(actor=world.teammate, action="claim", ticket_ids=[t.pk for t in pool])
    # Each was dispatched to `handler`: the teammate may not take a held ticket over.
    assert job.refused_count == 3 and "已由" in _outcomes(job)[pool[0].pk][1]
    job = services.start_job(actor=world.handler, action="claim", ticket_ids=[t.pk for t in pool])
    assert job.done_count == 3
    assert set(
        Ticket.objects.filter(pk__in=[t.pk for t in pool]).values_list("status", flat=True)
    ) == {Status.PROCESSING}
    job = services.start_job(
        actor=world.handler, action="priority", ticket_ids=[pool[0].pk], params={"priority": "L1"}
    )
    pool[0].refresh_from_db()
    assert job.done_count == 1 and pool[0].priority == "L1"
    job = services.start_job(
        actor=world.handler, action="tag", ticket_ids=[pool[1].pk], params={"tags": "网络,VPN"}
    )
    assert sorted(TicketTag.objects.filter(ticket=pool[1]).values_list("tag__name", flat=True)) == [
        "VPN",
        "网络",
    ]
    job = services.start_job(
        actor=world.handler,
        action="transfer",
        ticket_ids=[pool[2].pk],
        params={"queue": world.other_queue.pk, "note": "转网络组"},
    )
    pool[2].refresh_from_db()
    assert job.done_count == 1 and pool[2].queue == world.other_queue


@pytest.mark.django_db
@pytest.mark.parametrize(
    "action, ids, params",
    [
        ("explode", [1], {}),
        ("priority", [1], {"priority": "L9"}),
        ("tag", [1], {"tags": ""}),
        ("transfer", [1], {}),
        ("transfer", [1], {"queue": 999999}),
        ("close", [], {}),
        ("close", ["x"], {}),
        ("close", [1] * 1 + list(range(2, services.MAX_TICKETS + 3)), {}),
        ("close", [1], {"note": "长" * (services.NOTE_MAX + 1)}),
    ],
)
def test_bad_input_is_refused_before_any_ticket_changes(world, action, ids, params):
    ticket = world.ticket(Status.DONE)
    ids = [ticket.pk if i == 1 else i for i in ids]
    with pytest.raises(ValidationFailed):
        services.start_job(actor=world.handler, action=action, ticket_ids=ids, params=params)
    assert not BulkJob.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE


@pytest.mark.django_db
def test_only_handlers_start_bulk_jobs(world):
    for person in (world.requester, world.observer, world.nobody):
        with pytest.raises(PermissionDenied):
            services.start_job(actor=person, action="claim", ticket_ids=[1])


@pytest.mark.django_db
def test_a_ticket_whose_change_fails_midway_is_left_unchanged(world):
    """Priority is valid but the ticket's edit is refused by the workflow (closed): nothing of
    it changes, and the others go on."""
    closed = world.ticket(Status.CLOSED)
    open_one = world.ticket()
    job = services.start_job(
        actor=world.handler,
        action="priority",
        ticket_ids=[closed.pk, open_one.pk],
        params={"priority": "L1"},
    )
    closed.refresh_from_db()
    open_one.refresh_from_db()
    assert (job.done_count, job.refused_count) == (1, 1)
    assert closed.priority == "L3" and open_one.priority == "L1"
    assert not closed.events.filter(kind=EventKind.UPDATED).exists()


@pytest.mark.django_db(transaction=True)
def test_large_job_runs_in_the_worker_and_resumes_after_a_dead_runner(world, job_queue):
    queued = job_queue
    tickets = [world.ticket(Status.DONE) for _ in range(services.INLINE_MAX + 2)]
    ids = [t.pk for t in tickets]
    job = services.start_job(actor=world.handler, action="close", ticket_ids=ids)
    assert job.state == JobState.QUEUED and queued == [job.pk]
    assert Ticket.objects.filter(pk__in=ids, status=Status.CLOSED).count() == 0
    # A runner died after the first ticket: its item is there, its heartbeat went stale.
    ticket_services.close_ticket(ticket_id=ids[0], actor=world.handler)
    BulkJobItem.objects.create(job=job, ticket_id=ids[0], ok=True)
    stale = timezone.now() - services.STALE_AFTER * 2
    BulkJob.objects.filter(pk=job.pk).update(
        state=JobState.RUNNING, heartbeat_at=stale, created_at=stale
    )
    queued.clear()
    assert services.resume_stale_jobs() == 1 and queued == [job.pk]
    services.run_job(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FINISHED
    assert (job.done_count, job.refused_count) == (len(ids), 0)
    assert Ticket.objects.filter(pk__in=ids, status=Status.CLOSED).count() == len(ids)
    # The first ticket was not closed twice.
    assert tickets[0].events.filter(kind=EventKind.CLOSED).count() == 1
    # A finished job is not run again.
    services.run_job(job_id=job.pk)
    assert BulkJobItem.objects.filter(job=job).count() == len(ids)


@pytest.fixture
def job_queue():
    """The worker port pointed at a list for the test, then back at the Huey task."""
    from andon.bulk import tasks

    queued: list[int] = []
    services.set_job_scheduler(queued.append)
    yield queued
    services.set_job_scheduler(tasks.run_bulk_job_task)


@pytest.mark.django_db
def test_api_by_ids_and_by_filter_and_job_privacy(world, api):
    a, b = world.ticket(Status.DONE), world.ticket(Status.DONE)
    world.ticket()  # pending: not matched by the filter below
    response = api(world.handler).post(
        "/api/v1/bulk-jobs/", {"action": "close", "filter": {"status": "done"}}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "finished" and body["done_count"] == 2
    assert sorted(o["ticket"] for o in body["outcomes"]) == sorted([a.pk, b.pk])
    assert api(world.handler).get(f"/api/v1/bulk-jobs/{body['id']}/").json()["total"] == 2
    assert_error(api(world.teammate).get(f"/api/v1/bulk-jobs/{body['id']}/"), 404)
    assert_error(
        api(world.handler).post(
            "/api/v1/bulk-jobs/", {"action": "close", "filter": {"status": "nope"}}, format="json"
        ),
        400,
    )
    assert_error(
        api(world.handler).post(
            "/api/v1/bulk-jobs/",
            {"action": "close", "tickets": [a.pk], "filter": {}},
            format="json",
        ),
        400,
    )
    assert_error(
        api(world.handler).post(
            "/api/v1/bulk-jobs/", {"action": "claim", "tickets": "x"}, format="json"
        ),
        400,
    )
    assert_error(
        api(world.requester).post(
            "/api/v1/bulk-jobs/", {"action": "claim", "tickets": [a.pk]}, format="json"
        ),
        403,
    )
