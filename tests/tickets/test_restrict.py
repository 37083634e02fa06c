"""`Ticket.objects.restrict(user)` is the one way to read tickets for a person (DESIGN.md §4): it
agrees with the rule for one loaded ticket (`policies.can_view`) and is what every selector starts
from, for every built-in role."""

import pytest
from django.contrib.auth.models import AnonymousUser

from andon.accounts.permissions import BUILTIN_ROLES
from andon.tickets import policies, selectors
from andon.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(handlers, entry):
    """Five tickets, each related to a person in one way: filed for them, filed by them, assigned
    to them in another queue, in their queue, and one with no tie to them."""
    other_queue = factories.QueueFactory(name="别的队列")
    other_entry = factories.catalog_leaf(other_queue)
    filer = factories.requester()
    tickets = {
        name: factories.make_ticket(actor=filer, entry=other_entry, title=name)
        for name in ("requested", "created", "assigned", "unrelated")
    }
    tickets["in_queue"] = factories.make_ticket(actor=filer, entry=entry, title="in_queue")
    return tickets


def _ties(person, tickets) -> None:
    Ticket.objects.filter(pk=tickets["requested"].pk).update(requester=person)
    Ticket.objects.filter(pk=tickets["created"].pk).update(created_by=person)
    Ticket.objects.filter(pk=tickets["assigned"].pk).update(assignee=person)


@pytest.mark.parametrize("code", sorted(BUILTIN_ROLES))
def test_restrict_agrees_with_the_rule_for_one_ticket(code, desk, queue):
    person = factories.UserFactory(role_codes=[code])
    factories.add_members(queue, person)
    _ties(person, desk)
    everything = list(Ticket.objects.all())
    readable = {t.pk for t in everything if policies.can_view(person, t)}
    restricted = set(Ticket.objects.restrict(person).values_list("pk", flat=True))
    assert restricted == readable
    assert set(selectors.visible_tickets(person).values_list("pk", flat=True)) == restricted
    own = {desk[name].pk for name in ("requested", "created", "assigned", "in_queue")}
    assert own <= restricted
    sees_all = policies.is_manager(person) or person.has_perm_code("tickets.view_all")
    assert (desk["unrelated"].pk in restricted) == sees_all


def test_nobody_signed_out_or_deactivated_reads_anything(desk):
    assert not Ticket.objects.restrict(AnonymousUser()).exists()
    gone = factories.admin(is_active=False)
    assert not Ticket.objects.restrict(gone).exists()
    assert not any(policies.can_view(gone, t) for t in Ticket.objects.all())


def test_restrict_narrows_any_queryset(desk, queue):
    person = factories.requester()
    _ties(person, desk)
    open_ones = Ticket.objects.filter(title__in=["requested", "unrelated"]).restrict(person)
    assert list(open_ones.values_list("title", flat=True)) == ["requested"]
