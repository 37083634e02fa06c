"""The OLA engine: timers start, pause, resume, are met or breached, and alerts climb the org chart.

Rules (see DESIGN.md §3 and the README's "OLA" section):

* A ticket entering a queue with a policy starts that queue's *response* and *resolution*
  timers; leaving the queue (a transfer elsewhere) stops them as ``transferred``, so each team is
  measured on its own time.
* **Response** is met by the first handling-side action after the timer started: a claim, a
  public comment, asking for information, or resolving, by anyone but the requester.
* **Resolution** is met when the ticket reaches ``to_confirm`` (or ``done``); a reopen resumes it
  with the business time it had left.
* ``need_info`` pauses every live timer of the ticket; leaving it resumes them.
* **Urge**: when the urge count reaches the threshold an urge timer is created already breached
  and the handler is alerted at once; it climbs like the others until the ticket is resolved.
* Levels: 0 warns the owners before the breach (at ``warn_at_percent`` of the target), 1 alerts
  them at the breach, then every ``escalation_interval`` one level up: the owners' direct leaders,
  then the leaders of their main department, then of each parent department, skipping people
  already alerted, inactive people and the owners themselves, up to ``max_level``. The owners are
  the assignee, or the queue's members while the ticket sits in the pool.

Every step runs in one transaction with the timer row locked (SKIP LOCKED on PostgreSQL) and
carries the token stored on the row; a stale token does nothing. Alerts are unique per
(timer, level, recipient) and their outbox keys per channel, so nobody is alerted twice. The
engine writes no notification itself: each alert is a ticket event naming its recipients, which
the notifications subscriber delivers (`andon.notifications.services.notify_alert`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from andon.notifications.recipients import is_reachable
from andon.ola.businesstime import add_business_time, business_seconds_between
from andon.ola.models import (
    FINISHED_STATUSES,
    RESOLVED_STATUSES,
    Alert,
    Metric,
    OlaPolicy,
    OlaTimer,
    TimerState,
)
from andon.ola.selectors import calendar_spec, escalation_groups, queue_policy
from andon.queues.models import QueueMembership
from andon.tickets import workflow
from andon.tickets.events import record_events

# --- policies and calendars --------------------------------------------------------------------


def policy_snapshot(policy: OlaPolicy) -> dict:
    return {
        "calendar": policy.calendar_id,
        "response_minutes": dict(policy.response_minutes),
        "resolution_minutes": dict(policy.resolution_minutes),
        "urge_threshold": policy.urge_threshold,
        "warn_at_percent": policy.warn_at_percent,
        "escalation_interval_minutes": policy.escalation_interval_minutes,
        "max_level": policy.max_level,
    }


class SpecCache:
    """Calendar specs for one unit of work (a step, a sweep): the cached read, and one spec per
    calendar for the whole unit even if the calendar is edited meanwhile."""

    def __init__(self):
        self._specs = {}

    def get(self, calendar_id: int):
        if calendar_id not in self._specs:
            self._specs[calendar_id] = calendar_spec(calendar_id)
        return self._specs[calendar_id]


def _target_seconds(snapshot: dict, metric: str, priority: str) -> int | None:
    minutes = snapshot[f"{metric}_minutes"].get(priority)
    return int(minutes) * 60 if minutes else None


def _warn_lead_seconds(timer: OlaTimer) -> int:
    """Business seconds before the due time at which the warning fires."""
    percent = int(timer.policy.get("warn_at_percent") or 0)
    if not 0 < percent < 100:
        return 0
    return timer.target_seconds * (100 - percent) // 100


def _interval(timer: OlaTimer) -> timedelta:
    return timedelta(minutes=max(1, int(timer.policy.get("escalation_interval_minutes") or 30)))


# --- scheduling ---------------------------------------------------------------------------------


def _reschedule(timer: OlaTimer, next_action_at) -> None:
    """Set the next step and a fresh token; the step task is queued once the transaction commits."""
    timer.next_action_at = next_action_at
    timer.token = uuid.uuid4().hex if next_action_at else ""
    timer.enqueued_at = None  # a new schedule: the sweeper may hand it out when it is due
    if next_action_at is not None:
        # The primary key is read at commit: a new timer is saved after it is planned.
        token, eta = timer.token, next_action_at
        transaction.on_commit(lambda: _enqueue_step(timer.pk, token, eta))


# The port to the worker (DESIGN.md §4): OlaConfig.ready() hands over the Huey tasks, so this
# module does not import the tasks module that imports it. Without them (a bare script) a step
# is left to the sweeper and a chunk runs in the sweeping process.
_step_task: Callable | None = None  # step_task(timer_id, token, eta): one step at its due time
_chunk_task: Callable | None = None  # chunk_task(steps): a chunk of due steps, by any worker


def use_step_tasks(*, step: Callable | None, chunk: Callable | None) -> None:
    global _step_task, _chunk_task
    _step_task, _chunk_task = step, chunk


def _enqueue_step(timer_id: int, token: str, eta) -> None:
    if _step_task is not None:
        _step_task(timer_id, token, eta)


def _plan_running(timer: OlaTimer, spec, now, remaining: int) -> None:
    """Due and warning times for a running timer with `remaining` business seconds left."""
    timer.due_at = add_business_time(spec, now, remaining)
    lead = _warn_lead_seconds(timer)
    if timer.level < 0 and lead:
        timer.warn_at = add_business_time(spec, now, remaining - lead) if remaining > lead else now
        _reschedule(timer, timer.warn_at)
    else:
        timer.warn_at = None
        _reschedule(timer, timer.due_at if timer.level <= 0 else now + _interval(timer))


# --- starting and stopping ------------------------------------------------------------------------


def start_timers(*, ticket, queue, now, specs: SpecCache | None = None) -> list[OlaTimer]:
    """Start `queue`'s response and resolution timers for `ticket` (none without a policy)."""
    policy = queue_policy(queue.pk) if queue is not None else None
    if policy is None:
        return []
    specs = specs or SpecCache()
    snapshot = policy_snapshot(policy)
    spec = specs.get(policy.calendar_id)
    started = []
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        target = _target_seconds(snapshot, metric, ticket.priority)
        if not target:
            continue
        timer = OlaTimer(
            ticket=ticket,
            queue=queue,
            metric=metric,
            policy=snapshot,
            target_seconds=target,
            started_at=now,
            created_at=now,
        )
        _plan_running(timer, spec, now, target)
        started.append(timer)
    # One insert for both; the step tasks planned above read the ids at commit.
    return OlaTimer.objects.bulk_create(started)


def _live_timers(ticket):
    return list(
        OlaTimer.objects.select_for_update().filter(ticket=ticket, active=True).order_by("id")
    )


def _stop(timer: OlaTimer, now, reason: str) -> None:
    if timer.state != TimerState.BREACHED:
        timer.state = TimerState.STOPPED
    timer.active = False
    timer.stopped_reason = reason
    timer.paused_at = None
    _reschedule(timer, None)
    timer.save()


def _meet(timer: OlaTimer, spec, now) -> None:
    """The target was reached: record how long it took and stop the climb."""
    timer.met_at = now
    timer.active = False
    if timer.state == TimerState.RUNNING and timer.due_at is not None and now >= timer.due_at:
        # Late, though no step ran at the due time (a lost task, a worker outage): still a breach.
        timer.state = TimerState.BREACHED
        timer.breached_at = timer.due_at
        timer.remaining_seconds = 0
    elif timer.state == TimerState.RUNNING:
        timer.remaining_seconds = business_seconds_between(spec, now, timer.due_at)
        timer.state = TimerState.MET
    elif timer.state == TimerState.PAUSED:
        timer.state = TimerState.MET
    timer.elapsed_seconds = max(0, timer.target_seconds - (timer.remaining_seconds or 0))
    if timer.breached_at is not None:
        timer.elapsed_seconds = timer.target_seconds + business_seconds_between(
            spec, timer.breached_at, now
        )
    timer.paused_at = None
    _reschedule(timer, None)
    timer.save()


def _pause(timer: OlaTimer, spec, now) -> None:
    if timer.paused_at is not None:
        return
    timer.paused_at = now
    if timer.state == TimerState.RUNNING:
        timer.remaining_seconds = business_seconds_between(spec, now, timer.due_at)
        timer.state = TimerState.PAUSED
    _reschedule(timer, None)
    timer.save()


def _resume(timer: OlaTimer, spec, now) -> None:
    if timer.paused_at is None:
        return
    timer.paused_at = None
    if timer.state == TimerState.PAUSED:
        timer.state = TimerState.RUNNING
        _plan_running(timer, spec, now, timer.remaining_seconds or 0)
    elif timer.state == TimerState.BREACHED:
        _reschedule(timer, now + _interval(timer) if _can_climb(timer) else None)
    timer.save()


def _reopen(timer: OlaTimer, spec, now) -> None:
    """A reopened ticket resumes its resolution timer with the time it had left."""
    timer.met_at = None
    timer.elapsed_seconds = None
    timer.active = True
    if timer.breached_at is None:
        timer.state = TimerState.RUNNING
        _plan_running(timer, spec, now, timer.remaining_seconds or 0)
    else:
        timer.state = TimerState.BREACHED
        _reschedule(timer, now + _interval(timer) if _can_climb(timer) else None)
    timer.save()


# --- reacting to ticket events -------------------------------------------------------------


def on_ticket_event(*, ticket, event) -> None:
    """The OLA subscriber of the ticket event pipeline, in the change's transaction."""
    if event.after.get("alert"):
        return  # an alert this engine recorded (see _alert), not a change to the ticket
    now = event.created_at
    specs = SpecCache()
    if event.kind == "created":
        # The dispatch event that follows starts the timers; until then this ticket has none,
        # so that dispatch need not look for live ones.
        ticket._ola_has_no_timers = True
        return
    if event.kind in ("dispatched", "undispatched") and (
        getattr(ticket, "_ola_has_no_timers", False)
        or not OlaTimer.objects.filter(ticket=ticket, queue=ticket.queue_id, active=True).exists()
    ):
        ticket._ola_has_no_timers = False
        if ticket.queue_id:
            start_timers(ticket=ticket, queue=ticket.queue, now=now, specs=specs)
        return
    timers = _live_timers(ticket)
    if event.kind == "transferred":
        before = (event.before.get("queue") or {}).get("id")
        after = (event.after.get("queue") or {}).get("id")
        if before != after:
            for timer in timers:
                _stop(timer, now, "transferred")
            ticket._ola_has_no_timers = True  # every live one is stopped now
            return  # the new queue's timers start with its dispatch event
    if event.kind == "urged":
        _check_urge(ticket, now, timers, specs)
    for timer in timers:
        spec = specs.get(timer.policy["calendar"])
        if ticket.status in FINISHED_STATUSES:
            _stop(timer, now, ticket.status)
        elif ticket.status == "need_info":
            _pause(timer, spec, now)
        elif timer.paused_at is not None:
            _resume(timer, spec, now)
        if not timer.active or timer.paused_at is not None:
            continue
        if (
            timer.metric == Metric.RESPONSE
            and _is_response(ticket, event)
            or (
                timer.metric in (Metric.RESOLUTION, Metric.URGE)
                and ticket.status in RESOLVED_STATUSES
            )
        ):
            _meet(timer, spec, now)
    if event.kind == "reopened":
        last = (
            OlaTimer.objects.select_for_update()
            .filter(ticket=ticket, queue=ticket.queue_id, metric=Metric.RESOLUTION)
            .exclude(met_at=None)
            .order_by("-id")
            .first()
        )
        if last is not None:
            _reopen(last, specs.get(last.policy["calendar"]), now)


def _is_response(ticket, event) -> bool:
    """The one rule of what answers the requester (`tickets.workflow.counts_as_response`)."""
    return workflow.is_response_event(event, ticket)


def _check_urge(ticket, now, timers, specs) -> None:
    urge_timers = [t for t in timers if t.metric == Metric.URGE]
    if urge_timers or not ticket.queue_id:
        return
    policy = queue_policy(ticket.queue_id)
    if policy is None or not policy.urge_threshold or ticket.urge_count < policy.urge_threshold:
        return
    timer = OlaTimer.objects.create(
        ticket=ticket,
        queue_id=ticket.queue_id,
        metric=Metric.URGE,
        policy=policy_snapshot(policy),
        target_seconds=0,
        started_at=now,
        due_at=now,
        level=0,
        created_at=now,
    )
    chunk = _Chunk(now=now)
    _breach(timer, ticket, chunk)
    chunk.write_alerts()
    timer.save()


# --- steps ----------------------------------------------------------------------------------------
#
# A step is the timer's next alarm: the warning (level -1 → 0), the breach (0 → 1), or one more
# level up the org chart. Steps run a chunk at a time (one step is a chunk of one): the chunk's
# timer rows are locked together, SKIP LOCKED on PostgreSQL, so two workers handed overlapping
# chunks split them instead of waiting, and a row another transaction holds is left to its
# holder (which reschedules it) or to a later sweep. Everything a chunk writes — alert rows,
# their ticket events, the notifications and outbox copies (through the notifications
# subscriber, the one writer) and the timers' new schedules — goes in a few bulk statements in
# the chunk's one transaction: either the whole chunk is alerted or none of it is.

# The fields a step changes on its timer.
STEP_FIELDS = ("level", "state", "breached_at", "next_action_at", "token", "enqueued_at")


@dataclass
class _Alert:
    timer: OlaTimer
    ticket: object
    level: int
    users: list
    kind: str


@dataclass
class _Chunk:
    """What the steps of one transaction share: the time, the pool members of the tickets'
    queues (read once), and the alerts to write together at the end."""

    now: datetime
    members: dict[int, list] = field(default_factory=dict)
    alerts: list[_Alert] = field(default_factory=list)

    def load_members(self, queue_ids) -> None:
        wanted = set(queue_ids) - set(self.members)
        for queue_id in wanted:
            self.members[queue_id] = []
        if not wanted:
            return
        rows = (
            QueueMembership.objects.filter(queue_id__in=wanted, user__is_active=True)
            .select_related("user")
            .order_by("user_id")
        )
        for row in rows:
            self.members[row.queue_id].append(row.user)

    def owners(self, ticket) -> list:
        if ticket.assignee_id:
            return [ticket.assignee]
        if not ticket.queue_id:
            return []
        self.load_members([ticket.queue_id])
        return self.members[ticket.queue_id]

    def alert(self, timer, ticket, *, level: int, users, kind: str) -> None:
        self.alerts.append(_Alert(timer, ticket, level, list(users), kind))

    def write_alerts(self) -> None:
        _write_alerts(self.alerts, self.now)
        self.alerts = []


def _can_climb(timer: OlaTimer) -> bool:
    return timer.level < int(timer.policy.get("max_level") or 1)


def _lock_for_steps(timer_ids) -> list[OlaTimer]:
    # In id order: without SKIP LOCKED (SQLite) two chunks never lock in opposite orders.
    qs = (
        OlaTimer.objects.select_related("ticket", "ticket__assignee")
        .filter(pk__in=timer_ids)
        .order_by("id")
    )
    if connection.features.has_select_for_update_skip_locked:
        return list(qs.select_for_update(skip_locked=True, of=("self",)))
    return list(qs.select_for_update())


def step(*, timer_id: int, token: str, now=None) -> str:
    """Run the timer's next step if `token` is still current and the step is due: "warned",
    "breached", "escalated", "top" (nobody left above), "idle" (met, stopped or paused
    meanwhile), "not_due", or "stale" (a newer schedule, or a worker holds the row)."""
    return _run_chunk([(timer_id, token)], now or timezone.now())[timer_id]


def run_steps(*, steps, now=None) -> dict[str, int]:
    """Run a chunk of (timer id, token) steps handed out by the sweeper in one transaction;
    returns {outcome: count}."""
    outcomes: dict[str, int] = {}
    for outcome in _run_chunk(steps, now or timezone.now()).values():
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _run_chunk(steps, now) -> dict[int, str]:
    tokens = {int(timer_id): token for timer_id, token in steps}
    outcomes = dict.fromkeys(tokens, "stale")
    with transaction.atomic():
        timers = _lock_for_steps(list(tokens))
        chunk = _Chunk(now=now)
        chunk.load_members(
            t.ticket.queue_id for t in timers if not t.ticket.assignee_id and t.ticket.queue_id
        )
        changed = []
        for timer in timers:
            token = tokens[timer.pk]
            if not token or timer.token != token:
                continue
            if timer.next_action_at is None or timer.next_action_at > now:
                outcomes[timer.pk] = "not_due"
                continue
            changed.append(timer)
            if not timer.active or timer.paused_at:
                _reschedule(timer, None)
                outcomes[timer.pk] = "idle"
            elif timer.level < 0:
                _warn(timer, timer.ticket, chunk)
                outcomes[timer.pk] = "warned"
            elif timer.level == 0:
                _breach(timer, timer.ticket, chunk)
                outcomes[timer.pk] = "breached"
            else:
                climbed = _escalate(timer, timer.ticket, chunk)
                outcomes[timer.pk] = "escalated" if climbed else "top"
        chunk.write_alerts()  # sets alerted_user_ids on the timers
        _save_steps(changed)
    return outcomes


def _save_steps(timers: list[OlaTimer]) -> None:
    """Write the steps' new state in one statement. On PostgreSQL an UPDATE … FROM (VALUES …):
    Django's bulk_update builds a CASE per field per row, and resolving those expressions took
    more than half of a 100-step chunk's time (bench/README.md)."""
    if not timers:
        return
    if connection.vendor != "postgresql":
        OlaTimer.objects.bulk_update(timers, [*STEP_FIELDS, "alerted_user_ids"])
        return
    table = connection.ops.quote_name(OlaTimer._meta.db_table)
    row = "(%s::bigint, %s::smallint, %s::varchar, %s::timestamptz, %s::timestamptz, "
    row += "%s::varchar, %s::timestamptz, %s::jsonb)"
    params = []
    for t in timers:
        params += [
            t.pk,
            t.level,
            t.state,
            t.breached_at,
            t.next_action_at,
            t.token,
            t.enqueued_at,
            json.dumps(t.alerted_user_ids),
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t SET level = v.level, state = v.state, "  # noqa: S608 - fixed names
            "breached_at = v.breached_at, next_action_at = v.next_action_at, "
            "token = v.token, enqueued_at = v.enqueued_at, alerted_user_ids = v.alerted "
            f"FROM (VALUES {', '.join([row] * len(timers))}) "
            "AS v(id, level, state, breached_at, next_action_at, token, enqueued_at, alerted) "
            "WHERE t.id = v.id",
            params,
        )


def _warn(timer: OlaTimer, ticket, chunk: _Chunk) -> None:
    timer.level = 0
    chunk.alert(timer, ticket, level=0, users=chunk.owners(ticket), kind="ola_warning")
    _reschedule(timer, timer.due_at)


def _breach(timer: OlaTimer, ticket, chunk: _Chunk) -> None:
    timer.level = 1
    timer.state = TimerState.BREACHED
    timer.breached_at = timer.due_at or chunk.now
    chunk.alert(timer, ticket, level=1, users=chunk.owners(ticket), kind="ola_breached")
    _reschedule(timer, chunk.now + _interval(timer) if _can_climb(timer) else None)


def _escalate(timer: OlaTimer, ticket, chunk: _Chunk) -> bool:
    owners = chunk.owners(ticket)
    skip = set(timer.alerted_user_ids) | {o.pk for o in owners}
    for group in escalation_groups(owners):
        fresh = [u for u in group if is_reachable(u) and u.pk not in skip]
        if fresh:
            timer.level += 1
            chunk.alert(timer, ticket, level=timer.level, users=fresh, kind="ola_escalated")
            _reschedule(timer, chunk.now + _interval(timer) if _can_climb(timer) else None)
            return True
    _reschedule(timer, None)  # nobody left above: the climb ends here
    return False


def _write_alerts(alerts: list[_Alert], now) -> None:
    """Record the alerts on their tickets and hand their recipients to notifications: each
    event names them and carries the delivery key "ola:<timer>:<level>", so the outbox copies
    are unique per (timer, level, recipient, channel) and a retried step never alerts twice."""
    if not alerts:
        return
    # Under the timers' row locks nobody else alerts these levels; the unique constraint is the
    # last guard. People already told at a level are not told again (a re-planned timer).
    already = set(
        Alert.objects.filter(
            timer_id__in={a.timer.pk for a in alerts}, level__in={a.level for a in alerts}
        ).values_list("timer_id", "level", "recipient_id")
    )
    rows, entries = [], []
    for a in alerts:
        timer = a.timer
        users = [u for u in a.users if is_reachable(u) and (timer.pk, a.level, u.pk) not in already]
        rows.extend(Alert(timer=timer, level=a.level, recipient=u, created_at=now) for u in users)
        timer.alerted_user_ids = sorted(set(timer.alerted_user_ids) | {u.pk for u in users})
        names = "、".join(u.name for u in users) or "（无人可通知）"
        metric = timer.get_metric_display()
        note = {
            "ola_warning": f"{metric}即将超时（{_due_text(timer)}），已提醒 {names}",
            "ola_breached": f"{metric}已超时，已通知 {names}",
            "ola_escalated": f"{metric}超时升级到第 {a.level} 级，已通知 {names}",
        }[a.kind]
        entries.append(
            {
                "ticket": a.ticket,
                "kind": a.kind,
                "actor": None,
                "after": {
                    "metric": timer.metric,
                    "level": a.level,
                    "timer": timer.pk,
                    "recipients": [{"id": u.pk, "name": u.name} for u in users],
                    "alert": f"ola:{timer.pk}:{a.level}",
                },
                "note": note,
                "at": now,
            }
        )
    Alert.objects.bulk_create(rows, ignore_conflicts=True)
    record_events(entries)


def _due_text(timer: OlaTimer) -> str:
    if timer.due_at is None:
        return ""
    return "截止 " + timezone.localtime(timer.due_at).strftime("%m-%d %H:%M")


# --- the sweeper ----------------------------------------------------------------------------------

# A step handed to a worker is not handed out again before this: long enough for a queued chunk
# to run behind a backlog, short enough that a task lost with its worker is retried soon.
ENQUEUE_LEASE = timedelta(minutes=2)
SWEEP_PAGE = 1000  # due timers claimed per query
STEP_CHUNK = 100  # steps per worker task


def sweep(*, now=None, limit: int = 100_000, chunk: int = STEP_CHUNK) -> int:
    """Hand every due step to the workers, `chunk` steps per task; returns how many were handed.

    Due timers are walked in (next_action_at, id) order, a page at a time, along the index.
    Each handed timer gets `enqueued_at`, so the next sweep leaves it alone while its task waits
    in the queue; the state stays in the row, so a task lost with its worker is handed out again
    once ENQUEUE_LEASE has passed (the row is still due). The chunks are tasks, so every worker
    process shares a catch-up. Call it outside a transaction (the periodic task does): a chunk
    must not reach a worker before its claim is committed.
    """
    now = now or timezone.now()
    handed = 0
    after = None
    while handed < limit:
        page = _claim_due(now=now, after=after, size=min(SWEEP_PAGE, limit - handed))
        if not page:
            break
        after = page[-1][:2]
        for start in range(0, len(page), chunk):
            _enqueue_steps([(pk, token) for _, pk, token in page[start : start + chunk]])
        handed += len(page)
    return handed


def _claim_due(*, now, after, size: int) -> list[tuple]:
    """Mark up to `size` due, unhanded timers after the keyset `after` as handed out."""
    due = OlaTimer.objects.filter(next_action_at__lte=now).filter(
        Q(enqueued_at=None) | Q(enqueued_at__lte=now - ENQUEUE_LEASE)
    )
    if after is not None:
        at, pk = after
        due = due.filter(Q(next_action_at__gt=at) | Q(next_action_at=at, id__gt=pk))
    due = due.order_by("next_action_at", "id")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            # A row locked by a running step is skipped: that step reschedules it anyway.
            due = due.select_for_update(skip_locked=True)
        page = list(due.values_list("next_action_at", "pk", "token")[:size])
        OlaTimer.objects.filter(pk__in=[pk for _, pk, _ in page]).update(enqueued_at=now)
    return page


def _enqueue_steps(steps: list[tuple[int, str]]) -> None:
    if _chunk_task is not None:
        _chunk_task(steps)
    else:
        run_steps(steps=steps)
