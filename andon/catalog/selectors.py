"""Reads of the service catalog."""

from __future__ import annotations

from andon.catalog.models import CatalogEntry
from andon.core import config_cache


def catalog_entries(*, level: int | None = None, parent_id: int | None = None, retired=None):
    """Entries with parent and queue loaded, in tree order: each level-1 entry followed by its
    level-2 entries, both by `order`. One query."""
    qs = CatalogEntry.objects.select_related("parent", "queue")
    if level == 1:
        qs = qs.filter(parent__isnull=True)
    elif level == 2:
        qs = qs.filter(parent__isnull=False)
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    if retired is not None:
        qs = qs.filter(is_retired=retired)

    def tree_key(entry: CatalogEntry):
        root = entry.parent or entry
        return (root.order, root.pk, entry.parent_id is not None, entry.order, entry.pk)

    return sorted(qs, key=tree_key)


def entry_for_filing(entry_id: int) -> CatalogEntry | None:
    """The entry with its parent and queue, as filing checks them (cached: catalog and queue
    configuration; the queue's round-robin position is read under its lock when dispatching)."""
    return config_cache.get(
        (config_cache.CATALOG, config_cache.QUEUES),
        ("entry", entry_id),
        lambda: CatalogEntry.objects.select_related("parent", "queue").filter(pk=entry_id).first(),
    )


def has_usable_queue(entry: CatalogEntry) -> bool:
    """A level-2 entry can dispatch only to an existing, enabled queue."""
    return entry.parent_id is not None and entry.queue is not None and entry.queue.is_enabled


def unusable_reason(entry: CatalogEntry) -> str:
    """Why new tickets cannot be filed under this level-2 entry because of its queue ("" when
    they can, as far as the queue is concerned)."""
    from django.utils.translation import gettext as _

    if entry.parent_id is None:
        return ""
    if entry.queue is None:
        return _("未绑定派单队列")
    if not entry.queue.is_enabled:
        return _("派单队列「%s」已停用") % entry.queue.name
    return ""


def catalog_tree() -> list[CatalogEntry]:
    """The whole catalog for the configuration page, retired entries included: level-1 entries
    in order, each with `tree_children` (its level-2 entries in order) and every level-2 entry
    with `usable` (has a usable queue) and `queue_problem` (why not). A level-1 entry's
    `problem_count` is how many live children cannot take tickets. One query."""
    roots: list[CatalogEntry] = []
    by_id: dict[int, CatalogEntry] = {}
    entries = catalog_entries()
    for entry in entries:
        if entry.parent_id is None:
            entry.tree_children = []
            entry.problem_count = 0
            roots.append(entry)
            by_id[entry.pk] = entry
    for entry in entries:
        if entry.parent_id is None:
            continue
        entry.usable = has_usable_queue(entry)
        entry.queue_problem = unusable_reason(entry)
        root = by_id.get(entry.parent_id)
        if root is None:
            continue
        # The child shares the root object, so templates never reach back to the database.
        entry.parent = root
        root.tree_children.append(entry)
        if not entry.usable and not entry.is_retired:
            root.problem_count += 1
    return roots


def dispatching_entries():
    """The live level-2 entries that file tickets into their queue (retired entries, or entries
    under a retired level-1, cannot take tickets and are left out), parent and queue loaded, in
    tree order. Registered as a port of andon.queues (queues.ports)."""
    return (
        CatalogEntry.objects.filter(
            parent__isnull=False, is_retired=False, parent__is_retired=False
        )
        .select_related("parent", "queue")
        .order_by("parent__order", "parent_id", "order", "id")
    )
