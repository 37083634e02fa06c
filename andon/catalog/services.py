"""Writes to the service catalog. Two levels: level-1 entries group level-2 entries, and each
level-2 entry dispatches to a queue. Names are unique case- and space-insensitively, level-1
among level-1s and level-2 within their parent."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry, normalize_name
from andon.core.errors import PermissionDenied, ValidationFailed
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
            return CatalogEntry.objects.create(
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
