"""Writes to the service catalog. Two levels: level-1 entries group level-2 entries, and each
level-2 entry dispatches to a queue. Names are unique case- and space-insensitively, level-1
among level-1s and level-2 within their parent."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.audit.services import diff, record_audit
from andon.catalog.models import CatalogEntry, normalize_name
from andon.core import config_cache
from andon.core.errors import NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import line_error
from andon.queues.models import Queue

NAME_MAX = 50
DESCRIPTION_MAX = 200
ORDER_MAX = 2_147_483_647


def _lookup(model, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return model.objects.filter(pk=value).first()


@transaction.atomic
def create_catalog_entry(
    *,
    actor,
    name: str,
    parent_id: int | None = None,
    queue_id: int | None = None,
    description: str = "",
    order: int | None = None,
) -> CatalogEntry:
    """A level-1 entry (`parent_id` None, no queue) or a level-2 entry under a level-1 one,
    bound to the enabled queue `queue_id`."""
    if not has_perm(actor, "catalog.manage"):
        raise PermissionDenied(_("没有管理服务目录的权限"))
    errors: dict[str, list[str]] = {}

    name = name.strip() if isinstance(name, str) else name
    if not isinstance(name, str):
        errors["name"] = [_("名称应为文本")]
    elif not name:
        errors["name"] = [_("请填写名称")]
    elif problem := line_error(name, _("名称")):
        errors["name"] = [problem]
    elif len(name) > NAME_MAX:
        errors["name"] = [
            _("名称最多 %(max)s 个字符，当前 %(length)s 个")
            % {"max": NAME_MAX, "length": len(name)}
        ]

    parent = None
    if parent_id is not None:
        parent = _lookup(CatalogEntry, parent_id)
        if parent is None:
            errors["parent"] = [_("上级目录不存在")]
        elif parent.parent_id is not None:
            errors["parent"] = [
                _("服务目录只有两级：「%s」已是二级目录，不能再建下级") % parent.name
            ]
            parent = None
        elif parent.is_retired:
            errors["parent"] = [_("上级目录「%s」已停用") % parent.name]
            parent = None

    queue = None
    if parent_id is None:
        if queue_id is not None:
            errors["queue"] = [_("一级目录不绑定队列；请在其下的二级目录上选择派单队列")]
    elif queue_id is None:
        errors["queue"] = [_("二级目录必须绑定派单队列")]
    else:
        queue = _lookup(Queue, queue_id)
        if queue is None:
            errors["queue"] = [_("队列不存在")]
        elif not queue.is_enabled:
            errors["queue"] = [_("队列「%s」已停用") % queue.name]

    description = "" if description is None else description
    if not isinstance(description, str):
        errors["description"] = [_("说明应为文本")]
    else:
        description = description.strip()
        if len(description) > DESCRIPTION_MAX:
            errors["description"] = [_("说明最多 %s 个字符") % DESCRIPTION_MAX]

    if order is not None and (
        isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= ORDER_MAX
    ):
        errors["order"] = [_("排序应为不小于 0 的整数")]

    key = normalize_name(name) if isinstance(name, str) else ""
    if "name" not in errors and "parent" not in errors:
        if not key:
            errors["name"] = [_("请填写名称")]
        elif _siblings(parent).filter(name_key=key).exists():
            errors["name"] = [_duplicate_message(name, parent)]

    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    if order is None:
        order = (_siblings(parent).aggregate(top=Max("order"))["top"] or 0) + 1
    try:
        with transaction.atomic():
            entry = CatalogEntry.objects.create(
                name=name,
                name_key=key,
                parent=parent,
                queue=queue,
                description=description,
                order=order,
            )
    except IntegrityError:
        # A concurrent request took the name between the check and the insert.
        message = _duplicate_message(name, parent)
        raise ValidationFailed(message, errors={"name": [message]}) from None
    config_cache.bump(config_cache.CATALOG)
    record_audit(actor=actor, action="create", obj=entry, changes=diff({}, _snapshot(entry)))
    return entry


def _siblings(parent: CatalogEntry | None):
    if parent is None:
        return CatalogEntry.objects.filter(parent__isnull=True)
    return CatalogEntry.objects.filter(parent=parent)


def _duplicate_message(name: str, parent: CatalogEntry | None) -> str:
    if parent is None:
        return _("一级目录「%s」已存在（名称不区分大小写和空格）") % name
    return _("「%(parent)s」下已有二级目录「%(name)s」（名称不区分大小写和空格）") % {
        "parent": parent.name,
        "name": name,
    }


# --- editing ----------------------------------------------------------------------------------

UNSET = object()


def _require_manager(actor) -> None:
    if not has_perm(actor, "catalog.manage"):
        raise PermissionDenied(_("没有管理服务目录的权限"))


def _snapshot(entry: CatalogEntry) -> dict:
    return {
        "name": entry.name,
        "description": entry.description,
        "queue": entry.queue.name if entry.queue_id else None,
        "order": entry.order,
        "is_retired": entry.is_retired,
    }


def _locked_entry(entry_id) -> CatalogEntry:
    pk = entry_id if isinstance(entry_id, int) and not isinstance(entry_id, bool) else None
    locked = pk and CatalogEntry.objects.select_for_update().filter(pk=pk).values("pk").first()
    if not locked:
        raise NotFound(_("服务目录不存在"))
    return CatalogEntry.objects.select_related("parent", "queue").get(pk=pk)


@transaction.atomic
def update_catalog_entry(
    *,
    actor,
    entry_id: int,
    name=UNSET,
    description=UNSET,
    queue_id=UNSET,
    order=UNSET,
    is_retired=UNSET,
) -> CatalogEntry:
    """Rename, describe, rebind, reposition, retire or restore one entry (only the arguments
    given). Names follow the creation rules. Rebinding a level-2 entry's queue affects only
    tickets filed afterwards: existing tickets keep the queue they were dispatched to. A retired
    entry stays on its old tickets but cannot be chosen for new ones; a level-1 entry's
    retirement covers its level-2 entries."""
    _require_manager(actor)
    entry = _locked_entry(entry_id)
    before = _snapshot(entry)
    errors: dict[str, list[str]] = {}
    values: dict = {}

    if name is not UNSET:
        name = name.strip() if isinstance(name, str) else name
        if not isinstance(name, str):
            errors["name"] = [_("名称应为文本")]
        elif not normalize_name(name):
            errors["name"] = [_("请填写名称")]
        elif problem := line_error(name, _("名称")):
            errors["name"] = [problem]
        elif len(name) > NAME_MAX:
            errors["name"] = [
                _("名称最多 %(max)s 个字符，当前 %(length)s 个")
                % {"max": NAME_MAX, "length": len(name)}
            ]
        elif (
            _siblings(entry.parent)
            .filter(name_key=normalize_name(name))
            .exclude(pk=entry.pk)
            .exists()
        ):
            errors["name"] = [_duplicate_message(name, entry.parent)]
        else:
            values["name"] = name
            values["name_key"] = normalize_name(name)

    if description is not UNSET:
        description = "" if description is None else description
        if not isinstance(description, str):
            errors["description"] = [_("说明应为文本")]
        elif len(description.strip()) > DESCRIPTION_MAX:
            errors["description"] = [_("说明最多 %s 个字符") % DESCRIPTION_MAX]
        else:
            values["description"] = description.strip()

    if queue_id is not UNSET:
        if entry.parent_id is None:
            errors["queue"] = [_("一级目录不绑定队列；请在其下的二级目录上选择派单队列")]
        elif queue_id is None:
            errors["queue"] = [_("二级目录必须绑定派单队列")]
        else:
            queue = _lookup(Queue, queue_id)
            if queue is None:
                errors["queue"] = [_("队列不存在")]
            elif not queue.is_enabled and queue.pk != entry.queue_id:
                errors["queue"] = [_("队列「%s」已停用，请选择启用中的队列") % queue.name]
            else:
                values["queue"] = queue

    if order is not UNSET:
        if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= ORDER_MAX:
            errors["order"] = [_("排序应为不小于 0 的整数")]
        else:
            values["order"] = order

    if is_retired is not UNSET:
        if not isinstance(is_retired, bool):
            errors["is_retired"] = [_("应为 true 或 false")]
        elif (
            is_retired is False
            and entry.is_retired
            and entry.parent is not None
            and entry.parent.is_retired
        ):
            errors["is_retired"] = [_("上级目录「%s」已停用，请先启用上级目录") % entry.parent.name]
        else:
            values["is_retired"] = is_retired

    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    changed = [field for field, value in values.items() if getattr(entry, field) != value]
    if not changed:
        return entry
    for field in changed:
        setattr(entry, field, values[field])
    try:
        with transaction.atomic():
            entry.save(update_fields=changed)
    except IntegrityError:
        message = _duplicate_message(entry.name, entry.parent)
        raise ValidationFailed(message, errors={"name": [message]}) from None
    changes = diff(before, _snapshot(entry))
    if changes:
        action = "update"
        if set(changes) == {"is_retired"}:
            action = "retire" if entry.is_retired else "unretire"
        config_cache.bump(config_cache.CATALOG)
        record_audit(actor=actor, action=action, obj=entry, changes=changes)
    return entry


def rename_catalog_entry(*, actor, entry_id: int, name: str) -> CatalogEntry:
    return update_catalog_entry(actor=actor, entry_id=entry_id, name=name)


def rebind_catalog_entry(*, actor, entry_id: int, queue_id: int | None) -> CatalogEntry:
    return update_catalog_entry(actor=actor, entry_id=entry_id, queue_id=queue_id)


def retire_catalog_entry(*, actor, entry_id: int, retired: bool = True) -> CatalogEntry:
    return update_catalog_entry(actor=actor, entry_id=entry_id, is_retired=retired)


@transaction.atomic
def reorder_catalog(*, actor, parent_id: int | None, order: list) -> list[CatalogEntry]:
    """Put the children of `parent_id` (the level-1 entries when None) in the given order.
    `order` must list every one of those siblings, retired ones included, exactly once."""
    _require_manager(actor)
    parent = None
    if parent_id is not None:
        parent = _lookup(CatalogEntry, parent_id)
        if parent is None:
            raise ValidationFailed(_("上级目录不存在"), errors={"parent": [_("上级目录不存在")]})
        if parent.parent_id is not None:
            message = _("「%s」是二级目录，没有下级") % parent.name
            raise ValidationFailed(message, errors={"parent": [message]})
    if not isinstance(order, list | tuple) or any(
        isinstance(pk, bool) or not isinstance(pk, int) for pk in order
    ):
        message = _("排序应为服务目录 id 列表")
        raise ValidationFailed(message, errors={"order": [message]})
    siblings = list(_siblings(parent).select_for_update().order_by("order", "id"))
    by_id = {entry.pk: entry for entry in siblings}
    if len(set(order)) != len(order) or set(order) != set(by_id):
        message = _("排序须恰好列出同级的全部 %s 个目录，且不能重复") % len(by_id)
        raise ValidationFailed(message, errors={"order": [message]})
    before = [entry.name for entry in siblings]
    changed = []
    for position, pk in enumerate(order, start=1):
        entry = by_id[pk]
        if entry.order != position:
            entry.order = position
            changed.append(entry)
    CatalogEntry.objects.bulk_update(changed, ["order"])
    after = [by_id[pk].name for pk in order]
    if before != after:
        config_cache.bump(config_cache.CATALOG)
        record_audit(
            actor=actor,
            action="reorder",
            object_type="catalog.catalogentry",
            object_repr=_("「%s」的下级目录") % parent.name if parent else _("一级目录"),
            changes={"order": [before, after]},
        )
    return [by_id[pk] for pk in order]


@transaction.atomic
def move_catalog_entry(*, actor, entry_id: int, direction: str) -> CatalogEntry:
    """Swap an entry with its neighbour above ("up") or below ("down") among its siblings."""
    _require_manager(actor)
    entry = _lookup(CatalogEntry, entry_id)
    if entry is None:
        raise NotFound(_("服务目录不存在"))
    if direction not in ("up", "down"):
        raise ValidationFailed(
            _("方向应为 up 或 down"), errors={"direction": [_("方向应为 up 或 down")]}
        )
    ids = list(
        _siblings(entry.parent_id and entry.parent)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(entry.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ids):
        ids[index], ids[other] = ids[other], ids[index]
        reorder_catalog(actor=actor, parent_id=entry.parent_id, order=ids)
    return entry
