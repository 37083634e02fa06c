"""Permission bits. A role is a named set of these codes; checks always go through `has_perm_code`.

Codes are stable strings stored in `Role.permissions`; labels are for the UI.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Permission:
    code: str
    area: str
    label: str


AREAS = {
    "tickets": _("工单"),
    "queues": _("队列"),
    "catalog": _("服务目录"),
    "fields": _("字段模板"),
    "roles": _("角色与权限"),
    "people": _("人员与组织"),
    "customers": _("客户"),
    "knowledge": _("知识库"),
    "reports": _("报表"),
    "tags": _("标签"),
    "integrations": _("集成"),
}

PERMISSIONS: tuple[Permission, ...] = (
    Permission("tickets.create", "tickets", _("提交工单")),
    Permission("tickets.handle", "tickets", _("处理工单（认领、转单、解决）")),
    Permission("tickets.view_all", "tickets", _("查看全部工单")),
    Permission("tickets.manage", "tickets", _("管理任意工单（改派、关闭）")),
    Permission("queues.manage", "queues", _("管理队列")),
    Permission("catalog.manage", "catalog", _("管理服务目录")),
    Permission("fields.manage", "fields", _("管理字段模板")),
    Permission("roles.manage", "roles", _("管理角色与权限")),
    Permission("people.view", "people", _("查看人员与组织")),
    Permission("people.manage", "people", _("管理人员与组织")),
    # The customer directory (companies, contacts with phones and e-mails, group chats) is
    # someone else's data: frontline agents and handlers need it, other employees do not.
    Permission("customers.view", "customers", _("查看客户资料")),
    Permission("knowledge.view", "knowledge", _("查看知识库")),
    Permission("knowledge.manage", "knowledge", _("编辑知识库")),
    Permission("reports.view", "reports", _("查看报表")),
    # Tagging is part of handling a ticket; renaming and merging change every ticket's labels.
    Permission("tags.manage", "tags", _("管理标签（重命名、合并）")),
    Permission("integrations.manage", "integrations", _("管理集成")),
)
ALL_CODES = frozenset(p.code for p in PERMISSIONS)

# Built-in roles: (code, name, permission codes). The admin role always holds every bit.
BUILTIN_ROLES = {
    "admin": (_("管理员"), ALL_CODES),
    "agent": (
        _("一线客服"),
        frozenset(
            {"tickets.create", "people.view", "customers.view", "knowledge.view", "reports.view"}
        ),
    ),
    "handler": (
        _("处理人"),
        frozenset(
            {
                "tickets.create",
                "tickets.handle",
                "people.view",
                "customers.view",
                "knowledge.view",
                "reports.view",
            }
        ),
    ),
    "observer": (
        _("只读观察员"),
        frozenset({"tickets.view_all", "people.view", "knowledge.view", "reports.view"}),
    ),
}


def has_perm(user, code: str) -> bool:
    """The one permission check used by pages, endpoints and services (anonymous has none)."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_perm_code(code)
