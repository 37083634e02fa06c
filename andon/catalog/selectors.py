"""Reads of the service catalog."""

from __future__ import annotations

from andon.catalog.models import CatalogEntry


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


def has_usable_queue(entry: CatalogEntry) -> bool:
    """A level-2 entry can dispatch only to an existing, enabled queue."""
    return entry.parent_id is not None and entry.queue is not None and entry.queue.is_enabled
