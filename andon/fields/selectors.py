from collections.abc import Iterable

from django.db.models import Q, QuerySet

from andon.catalog.models import CatalogEntry
from andon.core import config_cache
from andon.fields.models import FieldDefinition


def fields_for_entry(entry: CatalogEntry) -> QuerySet[FieldDefinition]:
    """Active fields for filing under `entry`, in the admin's order. A field scoped to a level-1
    entry applies to all its level-2 entries."""
    scope = Q(scope=entry)
    if entry.parent_id:
        scope |= Q(scope=entry.parent_id)
    return FieldDefinition.objects.filter(scope, is_active=True).distinct().order_by("order", "id")


def filing_fields(entry: CatalogEntry) -> list[FieldDefinition]:
    """`fields_for_entry` as a list, cached until a field template changes. The key holds the
    entry's parent, so moving the entry under another level-1 entry needs no bump here."""
    return config_cache.get(
        config_cache.FIELDS,
        ("filing", entry.pk, entry.parent_id),
        lambda: list(fields_for_entry(entry)),
    )


def _touching(entry_ids: Iterable[int]) -> Q:
    """Fields relevant to any of these entries: scoped to the entry itself, to its level-1
    parent (which covers it) or, for a level-1 entry, to one of its level-2 entries."""
    ids = list(entry_ids)
    related = CatalogEntry.objects.filter(Q(pk__in=ids) | Q(children__in=ids) | Q(parent__in=ids))
    return Q(scope__in=related.values("pk"))


def field_list(
    *,
    scope_ids: Iterable[int] | None = None,
    active: bool | None = None,
    type: str | None = None,
) -> QuerySet[FieldDefinition]:
    fields = FieldDefinition.objects.all()
    if scope_ids:
        matching = FieldDefinition.objects.filter(_touching(scope_ids)).values("pk")
        fields = fields.filter(pk__in=matching)
    if active is not None:
        fields = fields.filter(is_active=active)
    if type:
        fields = fields.filter(type=type)
    return fields.prefetch_related("scope").order_by("order", "id")


def field_labels(keys: Iterable[str]) -> dict[str, FieldDefinition]:
    """Definitions (active or retired) by key, for showing stored values with their names."""
    return {f.key: f for f in FieldDefinition.objects.filter(key__in=list(keys))}
