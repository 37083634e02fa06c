"""The demo company: loaded once through the ticket services, believable, and idempotent."""

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count, F, Sum
from django.test import RequestFactory
from django.utils import timezone

from andon import demo
from andon.accounts.models import Department, User
from andon.catalog.models import CatalogEntry
from andon.customers.models import Customer
from andon.demo import ticket_steps
from andon.demo.texts import ISSUE_CUSTOMERS
from andon.notifications.models import OutboxMessage
from andon.ola.models import Alert, BusinessCalendar, OlaPolicy, OlaTimer, TimerState
from andon.queues.models import DispatchRule, Queue
from andon.reports import rollup
from andon.reports.models import DailyRollup
from andon.tickets.models import Comment, EventKind, Status, Ticket, TicketEvent
from tests import factories

TEST_TICKETS = 100
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(scope="class")
def loaded(django_db_setup, django_db_blocker):
    """One load for the whole class (it builds ~300 tickets), rolled back afterwards."""
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            factories.ensure_builtin_roles()
            started = timezone.now()
            # A third of the default size keeps this quick on PostgreSQL; the builder still makes
            # sure every status is there.
            summary = demo.load_demo(tickets=TEST_TICKETS)
            yield summary, started
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def summary(loaded, db):
    return loaded[0]


class TestDemoCompany:
    def test_loads_a_company_with_an_org_chart(self, summary):
        assert summary.created
        assert demo.is_loaded()
        root = Department.objects.get(name=demo.COMPANY, parent=None)
        tech = Department.objects.get(name="技术部", parent=root)
        assert set(tech.children.values_list("name", flat=True)) >= {"运维组", "研发组", "网络组"}
        assert not Department.objects.filter(leaders=None).exists()
        people = User.objects.exclude(username=demo.ADMIN_USERNAME)
        assert 25 <= people.count() <= 40
        assert not people.filter(display_name="").exists()
        assert not people.filter(mobile="").exists()
        assert not people.filter(main_department=None).exists()
        # Everyone but the head of the company reports to someone.
        assert list(people.filter(direct_leaders=None).values_list("username", flat=True)) == [
            "chenzhiyuan"
        ]
        zhangwei = User.objects.get(username="zhangwei")
        assert list(zhangwei.direct_leaders.values_list("username", flat=True)) == ["wangjianguo"]
        role_codes = set(User.objects.values_list("roles__code", flat=True))
        assert {"admin", "agent", "handler", "observer"} <= role_codes

    def test_queues_use_every_dispatch_rule_and_the_catalog_has_two_levels(self, summary):
        rules = set(Queue.objects.filter(is_enabled=True).values_list("dispatch_rule", flat=True))
        assert rules == set(DispatchRule.values)
        assert Queue.objects.filter(is_enabled=False).exists()
        assert 4 <= Queue.objects.filter(is_enabled=True).count() <= 6
        level1 = CatalogEntry.objects.filter(parent=None)
        level2 = CatalogEntry.objects.filter(parent__isnull=False)
        assert level1.count() >= 5
        assert level2.count() >= 15
        assert not level2.filter(queue=None).exists()

    def test_tickets_cover_every_status_with_real_activity(self, summary):
        assert Ticket.objects.count() == TEST_TICKETS
        statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
        assert set(statuses) == set(Status.values)
        # Every ticket was filed through the service, so it has a `created` event.
        assert (
            Ticket.objects.filter(events__kind=EventKind.CREATED).distinct().count()
            == Ticket.objects.count()
        )
        kinds = set(TicketEvent.objects.values_list("kind", flat=True))
        assert {
            EventKind.CLAIMED, EventKind.COMMENTED, EventKind.URGED, EventKind.TRANSFERRED,
            EventKind.NEED_INFO, EventKind.RESUMED, EventKind.RESOLVED, EventKind.CONFIRMED,
            EventKind.REOPENED, EventKind.CLOSED, EventKind.CANCELLED, EventKind.DISPATCHED,
            EventKind.UNDISPATCHED,
        } <= kinds  # fmt: skip
        assert Comment.objects.filter(is_internal=True).exists()
        assert Comment.objects.filter(is_internal=False).exists()
        # Resolved tickets say how.
        assert not Ticket.objects.filter(status=Status.TO_CONFIRM, resolution="").exists()
        assert not Ticket.objects.filter(status=Status.PROCESSING, assignee=None).exists()

    def test_history_is_spread_over_ninety_days_and_in_order(self, summary, loaded):
        started = loaded[1]
        oldest = Ticket.objects.order_by("created_at").first().created_at
        newest = Ticket.objects.order_by("-created_at").first().created_at
        assert started - oldest > timedelta(days=80)
        assert started - newest < timedelta(days=3)
        # Nothing happens in the future or before its ticket existed; numbers follow filing order.
        assert not TicketEvent.objects.filter(created_at__gt=started).exists()
        assert not Comment.objects.filter(created_at__gt=started).exists()
        assert not TicketEvent.objects.filter(created_at__lt=F("ticket__created_at")).exists()
        assert not Ticket.objects.filter(first_response_at__lt=F("created_at")).exists()
        assert not Ticket.objects.filter(resolved_at__lt=F("created_at")).exists()
        ids_by_time = list(Ticket.objects.order_by("created_at", "id").values_list("id", flat=True))
        assert ids_by_time == sorted(ids_by_time)
        for ticket in Ticket.objects.order_by("?")[:20]:
            times = list(ticket.events.order_by("id").values_list("created_at", flat=True))
            assert times == sorted(times)
        # Response and resolution times vary, so OLA recommendations have something to read.
        done = Ticket.objects.filter(
            status__in=[Status.DONE, Status.CLOSED], resolved_at__isnull=False
        )
        spans = {round((t.resolved_at - t.created_at).total_seconds() / 3600) for t in done[:50]}
        assert len(spans) > 5

    def test_the_company_was_set_up_before_its_history(self, summary):
        oldest = Ticket.objects.order_by("created_at").first().created_at
        set_up = [
            *Queue.objects.values_list("created_at", flat=True),
            *OlaPolicy.objects.values_list("updated_at", flat=True),
            *Customer.objects.values_list("created_at", flat=True),
        ]
        assert set_up and all(moment < oldest for moment in set_up)

    def test_descriptions_name_a_customer_not_a_placeholder(self, summary):
        about_customers = Ticket.objects.filter(
            description__regex="|".join(ISSUE_CUSTOMERS)
        ).count()
        assert about_customers > 0
        assert not Ticket.objects.filter(description__contains="{customer}").exists()
        assert not Ticket.objects.filter(description__contains="('").exists()

    def test_ola_history_has_met_and_breached_targets_and_climbing_alerts(self, summary):
        assert summary.skipped_steps <= 10
        states = set(OlaTimer.objects.values_list("state", flat=True))
        assert {TimerState.MET, TimerState.BREACHED} <= states
        levels = set(Alert.objects.values_list("level", flat=True))
        assert {0, 1, 2} <= levels
        kinds = set(TicketEvent.objects.values_list("kind", flat=True))
        assert {"ola_warning", "ola_breached", "ola_escalated"} <= kinds
        with_policy = set(OlaPolicy.objects.values_list("queue__name", flat=True))
        assert "IT桌面支持" in with_policy
        # One queue is left without a policy, so its history can be adopted with one click.
        assert "行政服务" not in with_policy
        # Made-up addresses: nothing of the history waits to be e-mailed or sent to WeCom.
        assert not OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING).exists()

    def test_reports_have_numbers_from_the_first_start(self, summary):
        # The roll-up was built at the end of the load and agrees with the raw tickets.
        totals = DailyRollup.objects.aggregate(created=Sum("created"), finished=Sum("finished"))
        assert totals["created"] == Ticket.objects.count()
        finished = Ticket.objects.exclude(resolved_at=None, closed_at=None).count()
        assert totals["finished"] == finished
        assert rollup.refresh() == 0  # nothing left marked

    def test_the_real_clock_is_back(self, summary):
        before = timezone.now()
        assert timezone.now() >= before
        assert timezone.now() - before < timedelta(seconds=5)

    def test_second_load_does_nothing(self, summary):
        tickets, events, users = (
            Ticket.objects.count(),
            TicketEvent.objects.count(),
            User.objects.count(),
        )
        again = demo.load_demo()
        assert not again.created
        assert "already" in str(again)
        assert (Ticket.objects.count(), TicketEvent.objects.count(), User.objects.count()) == (
            tickets,
            events,
            users,
        )

    def test_published_log_ins_work(self, summary):
        logins = demo.demo_logins()
        assert [row[0] for row in logins] == [row[0] for row in demo.LOGINS]
        for username, password, _label in logins:
            user = authenticate(
                RequestFactory().post("/accounts/login/"), username=username, password=password
            )
            assert user is not None, username
        assert User.objects.get(username="zhangwei").has_perm_code("tickets.handle")
        assert User.objects.get(username="chenzhiyuan").has_perm_code("tickets.view_all")
        assert not User.objects.get(username="liqiang").has_perm_code("tickets.handle")


@pytest.mark.django_db
def test_ticket_steps_run_as_of_the_moment_passed_in(entry, handlers, requester):
    """The history's moments reach every row a step writes (the ticket, its events, dispatch's
    OLA timers, notifications, the OLA alerts that fall due later) through `now=`; the clock
    itself is never set."""
    from andon.notifications.models import Notification
    from andon.tickets import services

    OlaPolicy.objects.create(
        queue=entry.queue,
        calendar=BusinessCalendar.objects.create(
            name="全天候",
            weekly_windows={
                d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
            },
            follows_china_holidays=False,
        ),
    )
    real = timezone.now
    moment = real() - timedelta(days=30)
    later = moment + timedelta(hours=2)
    ticket = ticket_steps.file_ticket(
        now=moment, actor=requester, title="上个月的打印问题", catalog_entry_id=entry.pk
    )
    assert timezone.now is real
    ticket_steps.take_step(
        services.add_comment, now=later, ticket_id=ticket.pk, actor=ticket.assignee, body="在看"
    )
    ticket.refresh_from_db()
    assert (ticket.created_at, ticket.first_response_at, ticket.updated_at) == (
        moment,
        later,
        later,
    )
    assert set(ticket.events.values_list("created_at", flat=True)) == {moment, later}
    timers = OlaTimer.objects.filter(ticket=ticket)
    assert timers.exists()
    assert set(timers.values_list("started_at", flat=True)) == {moment}
    assert set(Notification.objects.filter(ticket=ticket).values_list("created_at", flat=True)) <= {
        moment,
        later,
    }
    ticket_steps.run_ola_until(moment + timedelta(days=20))
    alerts = ticket.events.filter(kind="ola_breached")
    assert alerts.exists()
    assert not alerts.filter(created_at__gt=moment + timedelta(days=20)).exists()
    assert not Alert.objects.filter(timer__ticket=ticket, created_at__gt=real() - timedelta(days=9))
    assert timezone.now is real


@pytest.mark.django_db
def test_refuses_a_database_with_data_of_its_own():
    factories.QueueFactory(name="真实队列")
    with pytest.raises(demo.DemoRefused):
        demo.load_demo()
    assert not demo.is_loaded()


@pytest.mark.django_db
def test_first_start_means_no_accounts_yet():
    assert demo.is_first_start()
    factories.UserFactory()
    assert not demo.is_first_start()
