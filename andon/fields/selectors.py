from django.db.models import Q, QuerySet

from andon.catalog.models import CatalogEntry
from andon.fields.models import FieldDefinition


def fields_for_entry(entry: CatalogEntry) -> QuerySet[FieldDefinition]:
    """Active fields for filing under `entry`, in the admin's order. A field scoped to a level-1
    entry applies to all its level-2 entries."""
    scope = Q(scope=entry)
    if entry.parent_id:
        scope |= Q(scope=entry.parent_id)
    return FieldDefinition.objects.filter(scope, is_active=True).distinct().order_by("order", "id")


def field_list() -> QuerySet[FieldDefinition]:
    return FieldDefinition.objects.prefetch_related("scope").order_by("order", "id")
