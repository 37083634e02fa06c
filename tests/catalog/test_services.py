"""Service catalog editing: rename (uniqueness), reorder, retire/unretire, rebind, the
no-usable-queue flag, and filing refused under an entry without a usable queue."""

import pytest

from andon.audit.models import AuditEntry
from andon.catalog import selectors, services
from andon.catalog.models import CatalogEntry
from andon.core.errors import NotFound, PermissionDenied, ValidationFailed
from andon.tickets.services import validate_catalog_entry
from tests import factories


@pytest.fixture
def admin(db):
    return factories.admin()


@pytest.fixture
def it(admin):
    return services.create_catalog_entry(actor=admin, name="IT 服务")


@pytest.fixture
def printer(admin, it, queue):
    return services.create_catalog_entry(
        actor=admin, name="打印机", parent_id=it.pk, queue_id=queue.pk
    )


def test_create_is_audited(admin, printer, queue):
    audit = AuditEntry.objects.get(action="create", object_id=str(printer.pk))
    assert audit.changes["queue"] == [None, queue.name]
    assert audit.object_type == "catalog.catalogentry"


def test_rename_checks_level1_uniqueness_case_and_space_insensitively(admin, it):
    hr = services.create_catalog_entry(actor=admin, name="HR")
    with pytest.raises(ValidationFailed) as caught:
        services.rename_catalog_entry(actor=admin, entry_id=hr.pk, name="it服务")
    assert caught.value.errors["name"] == ["一级目录「it服务」已存在（名称不区分大小写和空格）"]
    # Its own name in another spelling is fine.
    services.rename_catalog_entry(actor=admin, entry_id=it.pk, name="It  服务")
    it.refresh_from_db()
    assert it.name == "It  服务" and it.name_key == "it服务"


def test_rename_checks_level2_uniqueness_within_the_parent_only(admin, it, printer, queue):
    scanner = services.create_catalog_entry(
        actor=admin, name="扫描仪", parent_id=it.pk, queue_id=queue.pk
    )
    with pytest.raises(ValidationFailed) as caught:
        services.rename_catalog_entry(actor=admin, entry_id=scanner.pk, name=" 打 印 机 ")
    assert caught.value.errors["name"] == [
        "「IT 服务」下已有二级目录「打 印 机」（名称不区分大小写和空格）"
    ]
    other = services.create_catalog_entry(actor=admin, name="行政")
    elsewhere = services.create_catalog_entry(
        actor=admin, name="打印纸", parent_id=other.pk, queue_id=queue.pk
    )
    services.rename_catalog_entry(actor=admin, entry_id=elsewhere.pk, name="打印机")
    assert CatalogEntry.objects.get(pk=elsewhere.pk).name == "打印机"


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "请填写名称"), ("   ", "请填写名称"), ("名" * 51, "名称最多 50 个字符，当前 51 个")],
)
def test_rename_refuses_blank_and_long_names(admin, it, name, message):
    with pytest.raises(ValidationFailed) as caught:
        services.rename_catalog_entry(actor=admin, entry_id=it.pk, name=name)
    assert caught.value.errors["name"] == [message]


def test_rename_is_audited_with_before_and_after(admin, printer):
    services.rename_catalog_entry(actor=admin, entry_id=printer.pk, name="打印与复印")
    audit = AuditEntry.objects.get(action="update")
    assert audit.changes == {"name": ["打印机", "打印与复印"]}


def test_reorder_siblings(admin, it, printer, queue):
    scanner = services.create_catalog_entry(
        actor=admin, name="扫描仪", parent_id=it.pk, queue_id=queue.pk
    )
    fax = services.create_catalog_entry(
        actor=admin, name="传真", parent_id=it.pk, queue_id=queue.pk
    )
    services.reorder_catalog(actor=admin, parent_id=it.pk, order=[fax.pk, printer.pk, scanner.pk])
    names = [e.name for e in selectors.catalog_entries(parent_id=it.pk)]
    assert names == ["传真", "打印机", "扫描仪"]
    audit = AuditEntry.objects.get(action="reorder")
    assert audit.changes == {"order": [["打印机", "扫描仪", "传真"], ["传真", "打印机", "扫描仪"]]}


@pytest.mark.parametrize("kind", ["missing", "duplicate", "foreign", "not_list"])
def test_reorder_must_list_every_sibling_once(admin, it, printer, queue, kind):
    scanner = services.create_catalog_entry(
        actor=admin, name="扫描仪", parent_id=it.pk, queue_id=queue.pk
    )
    order = {
        "missing": [printer.pk],
        "duplicate": [printer.pk, printer.pk, scanner.pk],
        "foreign": [printer.pk, scanner.pk, it.pk],
        "not_list": "1,2",
    }[kind]
    with pytest.raises(ValidationFailed) as caught:
        services.reorder_catalog(actor=admin, parent_id=it.pk, order=order)
    assert "order" in caught.value.errors


def test_reorder_level1_and_refuse_a_level2_parent(admin, it, printer):
    hr = services.create_catalog_entry(actor=admin, name="HR")
    services.reorder_catalog(actor=admin, parent_id=None, order=[hr.pk, it.pk])
    assert [e.name for e in selectors.catalog_entries(level=1)] == ["HR", "IT 服务"]
    with pytest.raises(ValidationFailed) as caught:
        services.reorder_catalog(actor=admin, parent_id=printer.pk, order=[])
    assert "parent" in caught.value.errors


def test_move_up_and_down_swaps_with_the_neighbour(admin, it, printer, queue):
    scanner = services.create_catalog_entry(
        actor=admin, name="扫描仪", parent_id=it.pk, queue_id=queue.pk
    )
    services.move_catalog_entry(actor=admin, entry_id=scanner.pk, direction="up")
    assert [e.pk for e in selectors.catalog_entries(parent_id=it.pk)] == [scanner.pk, printer.pk]
    # Already first: nothing moves.
    services.move_catalog_entry(actor=admin, entry_id=scanner.pk, direction="up")
    services.move_catalog_entry(actor=admin, entry_id=scanner.pk, direction="down")
    assert [e.pk for e in selectors.catalog_entries(parent_id=it.pk)] == [printer.pk, scanner.pk]
    with pytest.raises(ValidationFailed):
        services.move_catalog_entry(actor=admin, entry_id=scanner.pk, direction="left")


def test_retired_entry_stays_on_old_tickets_but_cannot_be_chosen(admin, printer, queue):
    factories.add_members(queue, factories.handler())
    ticket = factories.make_ticket(actor=factories.requester(), entry=printer)
    services.retire_catalog_entry(actor=admin, entry_id=printer.pk)
    ticket.refresh_from_db()
    assert ticket.catalog_entry == printer
    with pytest.raises(ValidationFailed) as caught:
        validate_catalog_entry(printer.pk)
    assert caught.value.errors["catalog_entry"] == ["该服务目录已停用"]
    assert AuditEntry.objects.get(action="retire").changes == {"is_retired": [False, True]}
    services.retire_catalog_entry(actor=admin, entry_id=printer.pk, retired=False)
    assert validate_catalog_entry(printer.pk) == printer
    assert AuditEntry.objects.filter(action="unretire").count() == 1


def test_retiring_a_level1_entry_covers_its_children(admin, it, printer):
    services.retire_catalog_entry(actor=admin, entry_id=it.pk)
    with pytest.raises(ValidationFailed):
        validate_catalog_entry(printer.pk)


def test_a_child_cannot_be_restored_under_a_retired_parent(admin, it, printer):
    services.retire_catalog_entry(actor=admin, entry_id=printer.pk)
    services.retire_catalog_entry(actor=admin, entry_id=it.pk)
    with pytest.raises(ValidationFailed) as caught:
        services.retire_catalog_entry(actor=admin, entry_id=printer.pk, retired=False)
    assert caught.value.errors["is_retired"] == ["上级目录「IT 服务」已停用，请先启用上级目录"]


def test_rebind_affects_new_tickets_only(admin, printer, queue):
    first = factories.handler()
    factories.add_members(queue, first)
    network = factories.QueueFactory(name="网络组")
    second = factories.handler()
    factories.add_members(network, second)
    requester = factories.requester()
    old = factories.make_ticket(actor=requester, entry=printer)
    services.rebind_catalog_entry(actor=admin, entry_id=printer.pk, queue_id=network.pk)
    new = factories.make_ticket(actor=requester, entry=printer)
    old.refresh_from_db()
    assert (old.queue, old.assignee) == (queue, first)
    assert (new.queue, new.assignee) == (network, second)
    audit = AuditEntry.objects.get(action="update")
    assert audit.changes == {"queue": [queue.name, "网络组"]}


def test_rebind_refusals(admin, it, printer):
    disabled = factories.QueueFactory(is_enabled=False)
    cases = [
        (printer.pk, disabled.pk, f"队列「{disabled.name}」已停用，请选择启用中的队列"),
        (printer.pk, 999_999, "队列不存在"),
        (printer.pk, None, "二级目录必须绑定派单队列"),
        (it.pk, disabled.pk, "一级目录不绑定队列；请在其下的二级目录上选择派单队列"),
    ]
    for entry_id, queue_id, message in cases:
        with pytest.raises(ValidationFailed) as caught:
            services.rebind_catalog_entry(actor=admin, entry_id=entry_id, queue_id=queue_id)
        assert caught.value.errors["queue"] == [message]


def test_rebinding_fixes_an_entry_whose_queue_was_disabled(admin, printer, queue):
    from andon.queues.services import disable_queue

    disable_queue(actor=admin, queue_id=queue.pk, confirm=True)
    printer.refresh_from_db()
    assert not selectors.has_usable_queue(printer)
    other = factories.QueueFactory()
    services.rebind_catalog_entry(actor=admin, entry_id=printer.pk, queue_id=other.pk)
    assert validate_catalog_entry(printer.pk).queue == other


def test_update_validates_every_field_together_and_writes_nothing(admin, printer):
    with pytest.raises(ValidationFailed) as caught:
        services.update_catalog_entry(
            actor=admin,
            entry_id=printer.pk,
            name="",
            order=-1,
            is_retired="yes",
            description="x" * 201,
        )
    assert set(caught.value.errors) == {"name", "order", "is_retired", "description"}
    printer.refresh_from_db()
    assert printer.name == "打印机" and not printer.is_retired


def test_only_catalog_managers_may_edit(printer, it):
    handler = factories.handler()
    for call in (
        lambda: services.rename_catalog_entry(actor=handler, entry_id=printer.pk, name="x"),
        lambda: services.retire_catalog_entry(actor=handler, entry_id=printer.pk),
        lambda: services.reorder_catalog(actor=handler, parent_id=None, order=[it.pk]),
        lambda: services.move_catalog_entry(actor=handler, entry_id=it.pk, direction="up"),
    ):
        with pytest.raises(PermissionDenied):
            call()


def test_editing_a_missing_entry_is_not_found(admin):
    with pytest.raises(NotFound):
        services.rename_catalog_entry(actor=admin, entry_id=424242, name="x")


def test_tree_flags_entries_without_a_usable_queue(admin, it, printer, queue):
    unbound = factories.CatalogEntryFactory(name="无队列", parent=it, queue=None)
    disabled_queue = factories.QueueFactory(name="旧队列", is_enabled=False)
    stale = factories.CatalogEntryFactory(name="旧的", parent=it, queue=disabled_queue)
    [root] = selectors.catalog_tree()
    flags = {c.name: (c.usable, c.queue_problem) for c in root.tree_children}
    assert flags == {
        "打印机": (True, ""),
        "无队列": (False, "未绑定派单队列"),
        "旧的": (False, "派单队列「旧队列」已停用"),
    }
    assert root.problem_count == 2
    for entry, reason in ((unbound, "未绑定派单队列"), (stale, "已停用")):
        with pytest.raises(ValidationFailed) as caught:
            validate_catalog_entry(entry.pk)
        assert reason in caught.value.errors["catalog_entry"][0]
