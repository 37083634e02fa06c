"""The daily roll-up the reports read instead of a million raw tickets.

A `DailyRollup` row holds one local day's numbers for one combination of the ticket dimensions a
report can filter on (queue, priority, catalog entry, handler, channel). Rows are derived data:
`andon.reports.rollup` recomputes a whole day from tickets and OLA timers whenever something in it
may have changed, and can rebuild the table from scratch at any time. Nothing else writes here.

The dimension columns are foreign keys without database constraints: a derived row must never
block deleting or merging the thing it counts, and the next recompute drops stale keys anyway.
"""

from django.conf import settings
from django.db import models


def _dimension(model: str) -> models.ForeignKey:
    return models.ForeignKey(
        model, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class DailyRollup(models.Model):
    day = models.DateField()
    queue = _dimension("queues.Queue")
    priority = models.CharField(max_length=2)
    catalog_entry = _dimension("catalog.CatalogEntry")
    assignee = _dimension(settings.AUTH_USER_MODEL)
    channel = models.CharField(max_length=20)

    # Tickets created this day; their urges; how many of them are resolved by now.
    created = models.PositiveIntegerField(default=0)
    urges = models.PositiveIntegerField(default=0)
    created_resolved = models.PositiveIntegerField(default=0)
    # Tickets finished (COALESCE(resolved_at, closed_at)) this day; the resolved ones among them;
    # the resolved ones that had been reopened at least once.
    finished = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    # Response and resolution timers started this day, counted against the timer's queue: met
    # (and never breached), breached, timed (business seconds known) and those seconds summed.
    response_met = models.PositiveIntegerField(default=0)
    response_breached = models.PositiveIntegerField(default=0)
    response_timed = models.PositiveIntegerField(default=0)
    response_seconds = models.BigIntegerField(default=0)
    resolution_met = models.PositiveIntegerField(default=0)
    resolution_breached = models.PositiveIntegerField(default=0)
    resolution_timed = models.PositiveIntegerField(default=0)
    resolution_seconds = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "queue"], name="report_rollup_day_queue")]

    def __str__(self) -> str:
        return f"{self.day} q{self.queue_id} {self.priority} c{self.catalog_entry_id}"


class RollupDirtyDay(models.Model):
    """A day whose roll-up rows may be stale: appended in the same transaction as the ticket
    change (append-only, so busy ticket writes never wait on each other here), removed by the
    refresh that recomputed the day."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()

    def __str__(self) -> str:
        return str(self.day)


class RollupState(models.Model):
    """One row: its lock lets one refresh run at a time; `refreshed_at` is what the reports
    page shows as "as of"."""

    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"roll-up as of {self.refreshed_at}"


class DailyDuration(models.Model):
    """How many response/resolution timers started this day in this queue took a business time
    in bucket `bucket` (logarithmic, see `reports.histogram`): the percentiles' source when a
    report is filtered by nothing finer than the queue."""

    day = models.DateField()
    queue = _dimension("queues.Queue")
    metric = models.CharField(max_length=20)
    bucket = models.PositiveSmallIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "queue"], name="report_duration_day_queue")]

    def __str__(self) -> str:
        return f"{self.day} q{self.queue_id} {self.metric} #{self.bucket}: {self.count}"


class LiveRollup(models.Model):
    """The desk now (as of the last refresh), by the same dimensions as `DailyRollup`: tickets
    still open (created minus finished over every day) and unfinished tickets with a breached,
    live OLA timer (counted against the timer's queue). Replaced whole by each refresh."""

    queue = _dimension("queues.Queue")
    priority = models.CharField(max_length=2)
    catalog_entry = _dimension("catalog.CatalogEntry")
    assignee = _dimension(settings.AUTH_USER_MODEL)
    channel = models.CharField(max_length=20)
    open = models.IntegerField(default=0)
    breached = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"q{self.queue_id} {self.priority}: {self.open} open, {self.breached} breached"
