"""Queue configuration services: edit, members, disable (with impact and confirmation), enable,
and the audit trail of each."""

import pytest

from andon.accounts.models import Role
from andon.audit.models import AuditEntry
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.queues import selectors, services
from andon.queues.models import Queue, QueueMembership
from andon.tickets.models import Status
from tests import factories


@pytest.fixture
def admin(db):
    return factories.admin()


def members_of(queue):
    return list(
        QueueMembership.objects.filter(queue=queue).order_by("id").values_list("user_id", flat=True)
    )


def test_update_changes_only_the_given_fields_and_audits_them(admin, queue):
    services.update_queue(actor=admin, queue_id=queue.pk, description="  打印机与外设 ")
    queue.refresh_from_db()
    assert queue.description == "打印机与外设"
    entry = AuditEntry.objects.get(action="update", object_id=str(queue.pk))
    assert entry.actor == admin
    assert entry.object_type == "queues.queue"
    assert entry.changes == {"description": ["", "打印机与外设"]}


def test_update_without_changes_writes_no_audit(admin, queue):
    services.update_queue(actor=admin, queue_id=queue.pk, name=queue.name)
    assert not AuditEntry.objects.filter(action="update").exists()


def test_name_longer_than_25_characters_is_refused_with_the_length(admin, queue):
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(actor=admin, queue_id=queue.pk, name="队" * 26)
    assert caught.value.errors["name"] == ["队列名称最多 25 个字符，当前 26 个"]
    queue.refresh_from_db()
    assert queue.name != "队" * 26


def test_name_of_exactly_25_characters_is_accepted(admin, queue):
    services.update_queue(actor=admin, queue_id=queue.pk, name="队" * 25)
    assert Queue.objects.get(pk=queue.pk).name == "队" * 25


@pytest.mark.parametrize("bad", ["", "   ", None, 12])
def test_blank_or_non_text_names_are_refused(admin, queue, bad):
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(actor=admin, queue_id=queue.pk, name=bad)
    assert "name" in caught.value.errors


def test_a_name_taken_by_another_queue_is_refused_case_insensitively(admin, queue):
    factories.QueueFactory(name="Desk")
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(actor=admin, queue_id=queue.pk, name="desk")
    assert caught.value.errors["name"] == ["队列「desk」已存在"]


def test_unknown_dispatch_rule_and_long_description_are_refused_together(admin, queue):
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(
            actor=admin, queue_id=queue.pk, dispatch_rule="random", description="x" * 2001
        )
    assert set(caught.value.errors) == {"dispatch_rule", "description"}
    queue.refresh_from_db()
    assert queue.dispatch_rule == "round_robin"


def test_members_are_replaced_keeping_the_rotation_order_of_those_who_stay(admin, queue):
    a, b, c, d = (factories.handler() for _ in range(4))
    factories.add_members(queue, a, b, c)
    services.update_queue(actor=admin, queue_id=queue.pk, members=[d.pk, c.pk, a.pk])
    # a and c keep their places (a before c), d joins at the end; b has left.
    assert members_of(queue) == [a.pk, c.pk, d.pk]
    audit = AuditEntry.objects.get(action="update")
    assert audit.changes["members"] == [
        [a.username, b.username, c.username],
        [a.username, c.username, d.username],
    ]


def test_new_members_must_be_active_existing_people(admin, queue):
    gone = factories.handler(is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(actor=admin, queue_id=queue.pk, members=[gone.pk, 999_999])
    assert caught.value.errors["members"] == [f"用户不存在或已停用：{gone.pk}, 999999"]


def test_a_member_deactivated_later_may_stay_when_the_list_is_saved_again(admin, queue):
    a, b = factories.handler(), factories.handler()
    factories.add_members(queue, a, b)
    a.is_active = False
    a.save()
    services.update_queue(actor=admin, queue_id=queue.pk, members=[a.pk, b.pk])
    assert members_of(queue) == [a.pk, b.pk]


@pytest.mark.parametrize("bad", ["1,2", [True], [0], ["x"], {"a": 1}])
def test_members_must_be_a_list_of_ids(admin, queue, bad):
    with pytest.raises(ValidationFailed) as caught:
        services.update_queue(actor=admin, queue_id=queue.pk, members=bad)
    assert caught.value.errors["members"] == ["成员应为用户 id 列表"]


def test_removing_the_last_assigned_member_keeps_round_robin_working(admin, queue, requester):
    a, b, c = (factories.handler() for _ in range(3))
    factories.add_members(queue, a, b, c)
    entry = factories.catalog_leaf(queue)
    assert factories.make_ticket(actor=requester, entry=entry).assignee == a
    assert factories.make_ticket(actor=requester, entry=entry).assignee == b
    services.update_queue(actor=admin, queue_id=queue.pk, members=[a.pk, c.pk])
    queue.refresh_from_db()
    assert queue.last_assigned == b  # points at someone no longer in the queue
    picked = [factories.make_ticket(actor=requester, entry=entry).assignee for _ in range(3)]
    assert picked == [a, c, a]


def test_only_queue_managers_may_edit(queue):
    handler = factories.handler()
    with pytest.raises(PermissionDenied):
        services.update_queue(actor=handler, queue_id=queue.pk, name="新名字")
    custom = Role.objects.create(name="队列管理员", permissions=["queues.manage"])
    manager = factories.UserFactory()
    manager.roles.add(custom)
    services.update_queue(actor=manager, queue_id=queue.pk, name="新名字")
    assert Queue.objects.get(pk=queue.pk).name == "新名字"


def test_editing_a_missing_queue_is_not_found(admin):
    with pytest.raises(NotFound):
        services.update_queue(actor=admin, queue_id=987_654, name="x")


def test_create_queue_is_audited(admin):
    person = factories.handler()
    queue = services.create_queue(actor=admin, name="网络组", members=[person.pk])
    audit = AuditEntry.objects.get(action="create", object_type="queues.queue")
    assert audit.object_id == str(queue.pk)
    assert audit.changes["name"] == [None, "网络组"]
    assert audit.changes["members"] == [None, [person.username]]


# --- disable / enable --------------------------------------------------------------------------


def test_disable_impact_lists_live_level2_entries_bound_to_the_queue(queue):
    live = factories.catalog_leaf(queue, name="打印机")
    retired = factories.catalog_leaf(queue, name="传真")
    retired.is_retired = True
    retired.save()
    under_retired_parent = factories.catalog_leaf(queue, name="扫描仪")
    under_retired_parent.parent.is_retired = True
    under_retired_parent.parent.save()
    factories.catalog_leaf(factories.QueueFactory(), name="别的队列")
    assert selectors.queue_disable_impact(queue) == [live]


def test_disabling_a_queue_with_entries_needs_confirmation(admin, queue):
    entry = factories.catalog_leaf(queue, name="打印机")
    with pytest.raises(services.DisableNeedsConfirmation) as caught:
        services.disable_queue(actor=admin, queue_id=queue.pk)
    assert isinstance(caught.value, Conflict)
    assert caught.value.status_code == 409
    assert caught.value.entries == [entry]
    assert str(entry) in caught.value.detail
    assert caught.value.errors["catalog_entries"] == [str(entry)]
    assert Queue.objects.get(pk=queue.pk).is_enabled
    assert not AuditEntry.objects.filter(action="disable").exists()


def test_confirmed_disable_leaves_entries_flagged_and_filing_refused(admin, queue, requester):
    entry = factories.catalog_leaf(queue, name="打印机")
    factories.add_members(queue, factories.handler())
    old = factories.make_ticket(actor=requester, entry=entry)
    services.disable_queue(actor=admin, queue_id=queue.pk, confirm=True)
    queue.refresh_from_db()
    assert not queue.is_enabled
    audit = AuditEntry.objects.get(action="disable")
    assert audit.changes == {
        "is_enabled": [True, False],
        "catalog_entries_without_queue": [[], [str(entry)]],
    }
    from andon.catalog.selectors import has_usable_queue
    from andon.tickets.services import validate_catalog_entry

    entry.refresh_from_db()
    assert not has_usable_queue(entry)
    with pytest.raises(ValidationFailed) as caught:
        validate_catalog_entry(entry.pk)
    assert "已停用" in caught.value.errors["catalog_entry"][0]
    # Tickets already filed are untouched.
    old.refresh_from_db()
    assert old.queue == queue and old.status == Status.PENDING

    services.enable_queue(actor=admin, queue_id=queue.pk)
    assert Queue.objects.get(pk=queue.pk).is_enabled
    assert validate_catalog_entry(entry.pk) == entry
    assert AuditEntry.objects.get(action="enable").changes == {"is_enabled": [False, True]}


def test_disabling_a_queue_without_entries_needs_no_confirmation(admin, queue):
    services.disable_queue(actor=admin, queue_id=queue.pk)
    assert not Queue.objects.get(pk=queue.pk).is_enabled


def test_disable_and_enable_are_idempotent(admin, queue):
    services.enable_queue(actor=admin, queue_id=queue.pk)
    services.disable_queue(actor=admin, queue_id=queue.pk)
    services.disable_queue(actor=admin, queue_id=queue.pk)
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["disable"]


def test_a_disabled_queue_dispatches_nothing(admin, queue):
    factories.add_members(queue, factories.handler())
    services.disable_queue(actor=admin, queue_id=queue.pk)
    assert services.pick_assignee(queue=queue) is None


def test_only_queue_managers_may_disable_or_enable(queue):
    agent = factories.requester()
    with pytest.raises(PermissionDenied):
        services.disable_queue(actor=agent, queue_id=queue.pk, confirm=True)
    with pytest.raises(PermissionDenied):
        services.enable_queue(actor=agent, queue_id=queue.pk)


# --- reads for the pages -----------------------------------------------------------------------


def test_members_with_load_counts_unfinished_tickets(admin, queue, requester):
    a, b = factories.handler(), factories.handler(is_available=False)
    factories.add_members(queue, a, b)
    entry = factories.catalog_leaf(queue)
    other = factories.QueueFactory()
    factories.add_members(other, a)
    other_entry = factories.catalog_leaf(other)
    factories.make_ticket(actor=requester, entry=entry)  # -> a
    factories.make_ticket(actor=requester, entry=other_entry)  # -> a
    done = factories.make_ticket(actor=requester, entry=entry)  # -> a (b unavailable)
    from andon.tickets import services as tickets

    tickets.claim_ticket(ticket_id=done.pk, actor=a)
    tickets.resolve_ticket(ticket_id=done.pk, actor=a, resolution="好了")
    tickets.confirm_ticket(ticket_id=done.pk, actor=requester)
    rows = selectors.queue_members_with_load(queue)
    assert [(m.user, m.user.queue_open_count, m.user.open_count) for m in rows] == [
        (a, 1, 2),
        (b, 0, 0),
    ]


def test_people_search_finds_active_people_and_skips_those_picked(db):
    wang = factories.handler(username="wangfang", display_name="王芳")
    factories.handler(username="wangwu", display_name="王五", is_active=False)
    li = factories.handler(username="lisi", display_name="李四")
    assert selectors.people_search("王") == [wang]
    assert selectors.people_search("wang", exclude=[wang.pk]) == []
    assert li in selectors.people_search("")
