"""The ticket history, replayed through the ticket services: every step of every ticket, and every
OLA step, in one chronological order, so dispatch sees the open tickets of each moment and alerts
fire when they fell due. Each step passes its planned moment to `andon.demo.ticket_steps`."""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import F

from andon.catalog.models import CatalogEntry
from andon.core.errors import ServiceError
from andon.demo import texts, ticket_steps
from andon.demo.catalog import Leaf
from andon.demo.planning import Planner, Step, TicketPlan
from andon.demo.queues import TRANSFER_TO
from andon.notifications.models import Notification, OutboxMessage
from andon.queues.models import Queue, QueueMembership
from andon.tickets import services

User = get_user_model()

# The service-desk handler who closes duplicates.
DESK_HANDLER = "hanmei"


class History:
    def __init__(
        self,
        *,
        rng: random.Random,
        now: datetime,
        users: dict[str, User],
        queues: dict[str, Queue],
        leaves: list[tuple[Leaf, CatalogEntry]],
    ):
        self.rng = rng
        self.now = now
        self.users = users
        self.queues = queues
        self.leaves = leaves
        self.skipped = 0
        self._users_by_pk = {user.pk: user for user in users.values()}

    def replay(self, count: int) -> None:
        queue_members = {
            queue.pk: set(queue.members.values_list("username", flat=True))
            for queue in self.queues.values()
        }
        planner = Planner(
            rng=self.rng,
            now=self.now,
            users=self.users,
            leaves=self.leaves,
            queue_members=queue_members,
        )
        plans = planner.plans(count)
        pending = [(plan.created_at, index, 0) for index, plan in enumerate(plans)]
        heapq.heapify(pending)
        while pending:
            moment, index, number = heapq.heappop(pending)
            ticket_steps.run_ola_until(moment)
            plan = plans[index]
            if number == 0:
                self._file(plan)
            else:
                plan.ticket.refresh_from_db()
                self._take(plan.steps[number - 1], plan)
            if number < len(plan.steps):
                heapq.heappush(pending, (plan.steps[number].at, index, number + 1))
        ticket_steps.run_ola_until(self.now)
        # History is not news: nothing of it is delivered outside Andon.
        OutboxMessage.objects.filter(
            ticket__isnull=False, state=OutboxMessage.State.PENDING
        ).delete()
        # Older notifications have been read; the last two days' are still waiting.
        Notification.objects.filter(created_at__lt=self.now - timedelta(days=2)).update(
            read_at=F("created_at") + timedelta(minutes=45)
        )

    def _file(self, plan: TicketPlan) -> None:
        customer = self.rng.choice(texts.ISSUE_CUSTOMERS)
        plan.ticket = ticket_steps.file_ticket(
            now=plan.created_at,
            actor=plan.actor,
            requester=plan.requester,
            title=plan.issue.title,
            description=plan.issue.description.format(customer=customer),
            catalog_entry_id=plan.entry.pk,
            priority=plan.priority,
            channel=plan.channel,
        )
        plan.owner = plan.ticket.requester

    def _member(self, queue: Queue) -> User:
        usernames = list(
            QueueMembership.objects.filter(queue=queue, user__is_available=True)
            .order_by("id")
            .values_list("user__username", flat=True)
        )
        return self.users[self.rng.choice(usernames)]

    def _take(self, step: Step, plan: TicketPlan) -> None:
        """One planned step. The arguments are drawn only for the step taken, so the random
        sequence (and with it the whole history) depends on the plan alone."""
        rng = self.rng
        ticket, owner, issue = plan.ticket, plan.owner, plan.issue
        pk = ticket.pk
        handler = self._users_by_pk[ticket.assignee_id] if ticket.assignee_id else None
        kind = step.kind
        calls: dict[str, Callable[[], tuple[Callable, dict]]] = {
            "claim": lambda: (
                services.claim_ticket,
                {"ticket_id": pk, "actor": handler or self._member(ticket.queue)},
            ),
            "handler_comment": lambda: (
                services.add_comment,
                {"ticket_id": pk, "actor": handler, "body": rng.choice(texts.HANDLER_COMMENTS)},
            ),
            "internal_comment": lambda: (
                services.add_comment,
                {
                    "ticket_id": pk,
                    "actor": handler,
                    "body": rng.choice(texts.INTERNAL_COMMENTS),
                    "is_internal": True,
                },
            ),
            "requester_comment": lambda: (
                services.add_comment,
                {"ticket_id": pk, "actor": owner, "body": rng.choice(texts.REQUESTER_COMMENTS)},
            ),
            "urge": lambda: (
                services.urge_ticket,
                {"ticket_id": pk, "actor": owner, "note": rng.choice(texts.URGE_NOTES)},
            ),
            "transfer": lambda: (
                services.transfer_ticket,
                {
                    "ticket_id": pk,
                    "actor": handler,
                    "queue_id": self.queues[TRANSFER_TO[ticket.queue.name][0]].pk,
                    "note": TRANSFER_TO[ticket.queue.name][1],
                },
            ),
            "need_info": lambda: (
                services.request_info,
                {"ticket_id": pk, "actor": handler, "note": rng.choice(texts.NEED_INFO_NOTES)},
            ),
            "supplement": lambda: (
                services.add_comment,
                {
                    "ticket_id": pk,
                    "actor": owner,
                    "body": rng.choice(texts.SUPPLEMENTS).format(n=rng.randint(1, 9999)),
                },
            ),
            "resume": lambda: (
                services.resume_ticket,
                {"ticket_id": pk, "actor": owner, "note": "已补充，请继续处理。"},
            ),
            "resolve": lambda: (
                services.resolve_ticket,
                {"ticket_id": pk, "actor": handler, "resolution": issue.resolution},
            ),
            "confirm": lambda: (
                services.confirm_ticket,
                {"ticket_id": pk, "actor": owner, "note": rng.choice(texts.CONFIRM_NOTES)},
            ),
            "reopen": lambda: (
                services.reopen_ticket,
                {"ticket_id": pk, "actor": owner, "reason": rng.choice(texts.REOPEN_REASONS)},
            ),
            "close": lambda: (
                services.close_ticket,
                {
                    "ticket_id": pk,
                    "actor": rng.choice([handler, owner]),
                    "note": rng.choice(texts.CLOSE_NOTES),
                },
            ),
            "close_duplicate": lambda: (
                services.close_ticket,
                {
                    "ticket_id": pk,
                    "actor": self.users[DESK_HANDLER],
                    "note": "与已有工单重复，已合并处理。",
                },
            ),
            "cancel": lambda: (
                services.cancel_ticket,
                {"ticket_id": pk, "actor": owner, "reason": rng.choice(texts.CANCEL_REASONS)},
            ),
        }
        if (
            kind in ("handler_comment", "internal_comment", "need_info", "resolve", "transfer")
            and handler is None
        ):
            return  # nobody holds the ticket (e.g. a transfer left it in a manual pool)
        if kind == "transfer" and ticket.queue.name not in TRANSFER_TO:
            return
        call, arguments = calls[kind]()
        try:
            ticket_steps.take_step(call, now=step.at, **arguments)
        except ServiceError:
            # The plan met a rule it did not foresee (say, a transfer landed on the requester);
            # the service refused and rolled its step back, so the ticket simply stops here.
            self.skipped += 1
