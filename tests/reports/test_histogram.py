"""The duration histogram's percentiles stay within 2 % of the exact ones."""

import math

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from andon.ola.models import OlaTimer
from andon.reports import histogram
from tests import factories


def exact_percentile(values: list[int], p: float) -> float:
    """percentile_cont, as PostgreSQL computes it."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def within_bound(estimate: float, exact: float) -> bool:
    # Relative error for real durations; a second at most for the sub-second bucket.
    return abs(estimate - exact) <= histogram.RELATIVE_ERROR * exact + 1


@given(st.integers(min_value=0, max_value=90 * 86400))
def test_every_duration_is_within_two_percent_of_its_bucket_value(seconds):
    assert within_bound(histogram.bucket_value(histogram.bucket_of(seconds)), seconds)


@given(
    st.lists(st.integers(min_value=0, max_value=30 * 86400), min_size=1, max_size=300),
    st.sampled_from([0.0, 0.1, 0.5, 0.9, 0.99, 1.0]),
)
def test_percentiles_from_counts_are_within_two_percent(values, p):
    counts: dict[int, int] = {}
    for value in values:
        counts[histogram.bucket_of(value)] = counts.get(histogram.bucket_of(value), 0) + 1
    estimate = histogram.percentile(counts.items(), p)
    assert within_bound(estimate, exact_percentile(values, p))


def test_no_counts_no_percentile():
    assert histogram.percentile([], 0.5) is None
    assert histogram.percentile([(3, 0)], 0.5) is None


@pytest.mark.django_db
def test_the_database_puts_durations_in_the_same_buckets_as_python():
    queue = factories.QueueFactory()
    factories.add_members(queue, factories.handler())
    ticket = factories.make_ticket(actor=factories.requester(), entry=factories.catalog_leaf(queue))
    samples = [0, 1, 2, 59, 60, 61, 3599, 3600, 86399, 86400, 1_000_003, 7_776_000]
    OlaTimer.objects.bulk_create(
        OlaTimer(
            ticket=ticket,
            queue=queue,
            metric="response",
            policy={},
            target_seconds=3600,
            started_at=timezone.now(),
            created_at=timezone.now(),
            elapsed_seconds=seconds,
        )
        for seconds in samples
    )
    in_sql = dict(
        OlaTimer.objects.filter(elapsed_seconds__isnull=False)
        .annotate(bucket=histogram.bucket_expression())
        .values_list("elapsed_seconds", "bucket")
    )
    assert in_sql == {seconds: histogram.bucket_of(seconds) for seconds in samples}
