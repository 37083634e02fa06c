"""Bulk actions from the ticket list page: chosen tickets or all that match the list's filters,
the job page and its progress fragment (its starter's alone)."""

import pytest

from andon.bulk.models import BulkJob
from andon.tickets.models import Status, Ticket


@pytest.mark.django_db
def test_all_matching_the_filter_and_the_job_page(world, client, django_assert_max_num_queries):
    done = [world.ticket(Status.DONE) for _ in range(3)]
    pending = world.ticket()
    client.force_login(world.handler)
    html = client.get("/tickets/?tab=all").content.decode()
    assert 'data-testid="bulk-bar"' in html and f'data-testid="bulk-select-{pending.pk}"' in html
    response = client.post(
        "/bulk/",
        {"select_all": "1", "query": "tab=all&status=done", "action": "close", "note": "一起关"},
    )
    job = BulkJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/bulk/{job.pk}/"
    assert sorted(job.ticket_ids) == sorted(t.pk for t in done)
    assert Ticket.objects.filter(status=Status.CLOSED).count() == 3
    with django_assert_max_num_queries(10):
        page = client.get(f"/bulk/{job.pk}/").content.decode()
    assert "成功 3" in page
    assert client.get(f"/bulk/{job.pk}/progress/").status_code == 200
    client.force_login(world.teammate)
    assert client.get(f"/bulk/{job.pk}/").status_code == 404
    assert client.get(f"/bulk/{job.pk}/progress/").status_code == 404


@pytest.mark.django_db
def test_bad_bulk_posts_are_explained_and_change_nothing(world, client):
    ticket = world.ticket(Status.DONE)
    client.force_login(world.handler)
    for data in (
        {"action": "close"},
        {"action": "explode", "tickets": [ticket.pk]},
        {"action": "priority", "tickets": [ticket.pk], "priority": "L0"},
        {"action": "close", "tickets": ["abc"]},
    ):
        response = client.post("/bulk/", {**data, "query": "tab=all"}, follow=True)
        assert response.status_code == 200
        assert (
            'role="alert"' in response.content.decode()
            or "alert-danger" in response.content.decode()
        )
    assert not BulkJob.objects.exists()
    ticket.refresh_from_db()
    assert ticket.status == Status.DONE
    client.force_login(world.requester)
    assert "bulk-bar" not in client.get("/tickets/?tab=all").content.decode()
    client.post("/bulk/", {"action": "cancel", "tickets": [ticket.pk]})
    assert not BulkJob.objects.exists()
