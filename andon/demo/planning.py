"""Plans for the ticket history: when each ticket is filed, what it is about, who files it, which
status it ends in and the steps (with their moments) that take it there. Planning only draws from
the random generator; `andon.demo.history` replays the plans through the ticket services."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from andon.catalog.models import CatalogEntry
from andon.demo.catalog import Issue, Leaf
from andon.demo.clock import is_workday
from andon.demo.people import ADMIN_USERNAME, PEOPLE
from andon.tickets.models import Channel, Priority, Status, Ticket

User = get_user_model()

HISTORY_DAYS = 90


@dataclass
class Step:
    kind: str
    gap_minutes: float
    at: datetime | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class TicketPlan:
    created_at: datetime
    entry: CatalogEntry
    issue: Issue
    actor: User
    requester: User | None
    channel: str
    priority: str
    steps: list[Step]
    target: str = ""
    ticket: Ticket | None = None
    owner: User | None = None


class Planner:
    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        users: dict[str, User],
        leaves: list[tuple[Leaf, CatalogEntry]],
        queue_members: dict[int, set[str]],
    ):
        self.rng = rng
        self.now = now
        self.users = users
        self.leaves = leaves
        self.queue_members = queue_members

    def plans(self, count: int) -> list[TicketPlan]:
        plans = [self.plan_ticket(created_at) for created_at in self.creation_times(count)]
        self.cover_every_status(plans)
        return plans

    def creation_times(self, count: int) -> list[datetime]:
        tz = timezone.get_current_timezone()
        today = timezone.localdate(self.now)
        days = []
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - timedelta(days=back)
            weight = 1.0 if is_workday(day) else 0.15
            days.append((day, weight * (1.0 + 0.6 * (HISTORY_DAYS - back) / HISTORY_DAYS)))
        times = []
        latest = self.now - timedelta(minutes=20)
        while len(times) < count:
            day = self.rng.choices([d for d, _ in days], weights=[w for _, w in days])[0]
            if self.rng.random() < 0.88:
                minutes = self.rng.randint(9 * 60, 18 * 60 + 30)
            else:
                minutes = self.rng.randint(7 * 60, 23 * 60)
            moment = datetime.combine(day, time(0, 0), tzinfo=tz) + timedelta(
                minutes=minutes, seconds=self.rng.randint(0, 59)
            )
            if moment < latest:
                times.append(moment)
        return sorted(times)

    def _status_for_age(self, age_days: float) -> str:
        if age_days > 14:
            table = [
                ("closed", 38),
                ("done", 42),
                ("cancelled", 7),
                ("to_confirm", 4),
                ("processing", 4),
                ("need_info", 3),
                ("pending", 2),
            ]
        elif age_days > 3:
            table = [
                ("done", 36),
                ("closed", 10),
                ("to_confirm", 18),
                ("processing", 14),
                ("need_info", 8),
                ("cancelled", 6),
                ("pending", 8),
            ]
        else:
            table = [
                ("pending", 24),
                ("processing", 28),
                ("need_info", 12),
                ("to_confirm", 18),
                ("done", 10),
                ("cancelled", 4),
                ("closed", 4),
            ]
        statuses, weights = zip(*table, strict=True)
        return self.rng.choices(statuses, weights=weights)[0]

    def _priority(self, customer_facing: bool) -> str:
        weights = [10, 30, 45, 15] if customer_facing else [4, 18, 56, 22]
        return self.rng.choices(Priority.values, weights=weights)[0]

    def _plan(self, target: str, priority: str, age_days: float) -> list[Step]:
        rng = self.rng
        response = {"L1": (2, 20), "L2": (5, 60), "L3": (10, 240), "L4": (30, 600)}[priority]
        resolution = {"L1": (30, 240), "L2": (60, 480), "L3": (120, 1800), "L4": (240, 4300)}[
            priority
        ]

        def gap(low, high):
            # Mostly quick, sometimes slow: a long tail like real desks have.
            return low + (high - low) * rng.random() ** 2.2

        claim = Step("claim", gap(*response))
        if target == "pending":
            steps = []
            if age_days > 0.5 and rng.random() < 0.6:
                steps.append(Step("urge", rng.uniform(60, 600)))
            if rng.random() < 0.3:
                steps.append(Step("requester_comment", rng.uniform(5, 120)))
            return steps
        if target == "cancelled":
            steps = [] if rng.random() < 0.5 else [claim, Step("handler_comment", gap(5, 90))]
            return [*steps, Step("cancel", rng.uniform(10, 600))]
        if target == "closed" and rng.random() < 0.15:
            return [Step("close_duplicate", rng.uniform(20, 300))]

        steps = [claim]
        if rng.random() < 0.6:
            steps.append(Step("handler_comment", gap(2, 60)))
        if rng.random() < 0.35:
            steps.append(Step("internal_comment", gap(5, 180)))
        if rng.random() < 0.1:
            steps += [Step("transfer", gap(20, 240)), Step("claim", gap(*response))]
        if target == "need_info":
            steps.append(Step("need_info", gap(10, 240)))
            return steps
        if rng.random() < 0.2:
            steps += [
                Step("need_info", gap(10, 240)),
                Step("supplement", gap(20, 900)),
                Step("resume", rng.uniform(0.5, 3)),
            ]
        if rng.random() < 0.15:
            steps.append(Step("urge", gap(60, 900)))
        if rng.random() < 0.2:
            steps.append(Step("requester_comment", gap(10, 240)))
        if target == "processing":
            return steps
        steps.append(Step("resolve", gap(*resolution)))
        if target == "to_confirm":
            return steps
        if rng.random() < 0.1:
            steps += [
                Step("reopen", gap(60, 2000)),
                Step("handler_comment", gap(10, 120)),
                Step("resolve", gap(60, 1440)),
            ]
        steps.append(Step("confirm", gap(20, 2400)))
        if target == "closed":
            steps.append(Step("close", rng.uniform(600, 6000)))
        return steps

    def plan_ticket(self, created_at: datetime, target: str | None = None) -> TicketPlan:
        rng = self.rng
        leaf, entry = rng.choice(self.leaves)
        members = self.queue_members[entry.queue_id]
        agents = ["zhoumin", "xuting", "majun", "hujing", "sunli"]
        requester = None
        if leaf.customer_facing:
            actor = self.users[rng.choice(agents)]
            channel = rng.choice([Channel.EXTERNAL_GROUP, Channel.SINGLE_CHAT, Channel.WECHAT_KF])
        else:
            candidates = [
                p.username
                for p in PEOPLE
                if p.username not in members and p.username not in (ADMIN_USERNAME, "chenzhiyuan")
            ]
            actor = self.users[rng.choice(candidates)]
            channel = rng.choices(
                [Channel.PORTAL, Channel.EMPLOYEE, Channel.WEB, Channel.EMAIL],
                weights=[40, 35, 20, 5],
            )[0]
            if rng.random() < 0.08:
                # Filed by a service-desk handler on a caller's behalf.
                requester, actor = actor, self.users["hanmei"]
                channel = Channel.WEB
        priority = self._priority(leaf.customer_facing)
        age_days = (self.now - created_at).total_seconds() / 86400
        target = target or self._status_for_age(age_days)
        steps = self._plan(target, priority, age_days)
        # Squeeze the plan into the time between filing and a few minutes ago.
        room = (self.now - timedelta(minutes=3) - created_at).total_seconds() / 60
        total = sum(step.gap_minutes for step in steps) or 1
        scale = min(1.0, room / total)
        moment = created_at
        for step in steps:
            moment += timedelta(minutes=step.gap_minutes * scale)
            step.at = moment
        return TicketPlan(
            created_at=created_at,
            entry=entry,
            issue=rng.choice(leaf.issues),
            actor=actor,
            requester=requester,
            channel=channel,
            priority=priority,
            steps=steps,
            target=target,
        )

    def cover_every_status(self, plans: list[TicketPlan], at_least: int = 2) -> None:
        """Chance decides most targets; make sure every status shows up a few times anyway, by
        re-planning tickets of the most common status (the recent ones: open work is recent)."""
        for status in Status.values:
            for _ in range(at_least - sum(plan.target == status for plan in plans)):
                common = Counter(plan.target for plan in plans).most_common(1)[0][0]
                index = max(i for i, plan in enumerate(plans) if plan.target == common)
                plans[index] = self.plan_ticket(plans[index].created_at, target=status)
