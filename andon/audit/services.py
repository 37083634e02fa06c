from django.utils import timezone

from andon.audit.models import AuditEntry


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def record_audit(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_repr: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    """Record a configuration change in the caller's transaction. Pass the changed object, or
    for changes that span many objects (a reordering) a type and a description."""
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=(str(obj) if obj is not None else object_repr)[:200],
        changes=changes or {},
    )
