"""Human-readable names for audit entries' object types and actions."""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

ACTIONS = {
    "create": _("新建"),
    "update": _("修改"),
    "delete": _("删除"),
    "members": _("成员变更"),
    "deactivate": _("停用"),
    "reactivate": _("重新启用"),
    "disable": _("停用"),
    "enable": _("启用"),
    "import": _("导入"),
    "reorder": _("排序"),
    "retire": _("退役"),
    "password": _("修改密码"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def object_type_label(object_type: str) -> str:
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)
