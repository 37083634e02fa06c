"""Readable sentences for the activity log (流水日志): one per event kind, from its before/after."""

from django import template
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from andon.queues.models import DispatchRule
from andon.tickets.models import Channel, EventKind, Priority, Status

register = template.Library()


def _name(ref) -> str:
    if isinstance(ref, dict):
        return str(ref.get("name") or "")
    return str(ref or "")


def _who(event) -> SafeString:
    if event.actor_id is None:
        return format_html('<span class="text-secondary">{}</span>', _("系统"))
    return format_html("<strong>{}</strong>", event.actor.name)


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


FIELD_LABELS = {
    "title": lambda: _("标题"),
    "description": lambda: _("描述"),
    "priority": lambda: _("优先级"),
    "catalog_entry": lambda: _("服务目录"),
    "custom_fields": lambda: _("自定义字段"),
    "tags": lambda: _("标签"),
}


def _plain(value) -> str:
    if value in (None, "", []):
        return _("（空）")
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(value)


def _edit_changes(before: dict, after: dict) -> list[str]:
    """One "field: old → new" per change; custom fields one per key, the description only named
    (its old and new text stay in the event)."""
    changes = []
    for field in after:
        if field == "version":
            continue
        label = FIELD_LABELS.get(field, lambda f=field: f)()
        if field == "description":
            changes.append(str(label))
        elif field == "custom_fields":
            old, new = before.get(field) or {}, after[field] or {}
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    changes.append(f"{key}：{_plain(old.get(key))} → {_plain(new.get(key))}")
        elif field == "tags":
            names = lambda value: "、".join(value or []) or _("（无）")  # noqa: E731
            changes.append(f"{label}：「{names(before.get(field))}」→「{names(after[field])}」")
        elif field == "priority":
            changes.append(f"{label}：{before.get(field, '')} → {after[field]}")
        else:
            changes.append(f"{label}：「{_name(before.get(field))}」→「{_name(after[field])}」")
    return changes


def _people_ref(ref) -> str:
    ref = ref or {}
    if ref.get("user"):
        return _name(ref["user"])
    if ref.get("queue"):
        return _("队列「%s」") % _name(ref["queue"])
    if ref.get("email"):
        return f"{ref.get('name') or ''} <{ref['email']}>".strip()
    return ""


def _transfer_target(ref_queue, ref_user) -> str:
    parts = [p for p in (_name(ref_queue), _name(ref_user)) if p]
    return " / ".join(parts) or _("（空）")


@register.simple_tag
def event_sentence(event) -> SafeString:
    kind, before, after = event.kind, event.before or {}, event.after or {}
    who = _who(event)
    if kind == EventKind.CREATED:
        return format_html(
            _("{who} 创建了工单（服务目录「{entry}」，优先级 {priority}，来自{channel}）"),
            who=who,
            entry=_name(after.get("catalog_entry")),
            priority=after.get("priority", ""),
            channel=_label(Channel, after.get("channel")),
        )
    if kind == EventKind.DISPATCHED:
        return format_html(
            _("系统按「{rule}」规则把工单派给 <strong>{assignee}</strong>（队列「{queue}」）"),
            rule=_label(DispatchRule, after.get("rule")),
            assignee=_name(after.get("assignee")),
            queue=_name(after.get("queue")),
        )
    if kind == EventKind.UNDISPATCHED:
        if after.get("queue"):
            return format_html(
                _("工单进入队列「{queue}」的待认领池"), queue=_name(after.get("queue"))
            )
        return format_html(_("工单进入待认领池"))
    if kind == EventKind.CLAIMED:
        previous = _name(before.get("assignee"))
        if previous and previous != _name(after.get("assignee")):
            return format_html(
                _("{who} 认领了工单（原处理人 {previous}）"), who=who, previous=previous
            )
        if previous:
            return format_html(_("{who} 接单，开始处理"), who=who)
        return format_html(_("{who} 认领了工单"), who=who)
    if kind == EventKind.URGED:
        return format_html(
            _("{who} 催单（第 {count} 次）"), who=who, count=after.get("urge_count", "?")
        )
    if kind == EventKind.COMMENTED:
        if after.get("internal"):
            return format_html(_("{who} 发表了内部评论"), who=who)
        return format_html(_("{who} 发表了评论"), who=who)
    if kind == EventKind.ATTACHED:
        return format_html(
            _("{who} 上传了附件「{name}」（{size}）"),
            who=who,
            name=after.get("name", ""),
            size=filesizeformat(after.get("size") or 0),
        )
    if kind == EventKind.TRANSFERRED:
        return format_html(
            _("{who} 把工单从「{source}」转给「{target}」"),
            who=who,
            source=_transfer_target(before.get("queue"), before.get("assignee")),
            target=_transfer_target(after.get("queue"), after.get("assignee")),
        )
    if kind == EventKind.UPDATED:
        changes = "；".join(_edit_changes(before, after))
        return format_html(_("{who} 修改了 {changes}"), who=who, changes=changes)
    if kind == EventKind.TAKEN_OVER:
        return format_html(
            _("{who} 从 {previous} 手中接手了工单"),
            who=who,
            previous=_name(before.get("assignee")),
        )
    if kind == EventKind.COLLABORATOR_ADDED:
        return format_html(
            _("{who} 邀请 {person} 协作"), who=who, person=_people_ref(after.get("collaborator"))
        )
    if kind == EventKind.COLLABORATOR_REMOVED:
        person = _people_ref(before.get("collaborator"))
        if after.get("left"):
            return format_html(_("{who} 退出了协作"), who=who)
        return format_html(_("{who} 移除了协作人 {person}"), who=who, person=person)
    if kind == EventKind.CC_ADDED:
        return format_html(_("{who} 抄送给 {person}"), who=who, person=_people_ref(after.get("cc")))
    if kind == EventKind.CC_REMOVED:
        return format_html(
            _("{who} 移除了抄送 {person}"), who=who, person=_people_ref(before.get("cc"))
        )
    sentences = {
        EventKind.NEED_INFO: _("{who} 请提单人补充信息"),
        EventKind.RESUMED: _("{who} 补充完成，工单恢复处理"),
        EventKind.RESOLVED: _("{who} 提交了解决方案"),
        EventKind.CONFIRMED: _("{who} 确认问题已解决"),
        EventKind.REOPENED: _("{who} 重新打开了工单"),
        EventKind.CLOSED: _("{who} 关闭了工单"),
        EventKind.CANCELLED: _("{who} 取消了工单"),
    }
    if kind in sentences:
        return format_html(sentences[kind], who=who)
    return format_html("{who} {kind}", who=who, kind=event.get_kind_display())


@register.simple_tag
def event_status_change(event):
    """(from_label, to_label, to_value) when the event moved the status, else None."""
    before = (event.before or {}).get("status")
    after = (event.after or {}).get("status")
    if not after or before == after:
        return None
    return {
        "from": _label(Status, before) if before else "",
        "to": _label(Status, after),
        "from_value": before or "",
        "to_value": after,
    }


EVENT_ICONS = {
    EventKind.CREATED: ("plus", "blue"),
    EventKind.DISPATCHED: ("arrow-right", "azure"),
    EventKind.UNDISPATCHED: ("inbox", "secondary"),
    EventKind.CLAIMED: ("hand-grab", "indigo"),
    EventKind.URGED: ("speakerphone", "orange"),
    EventKind.COMMENTED: ("message", "secondary"),
    EventKind.ATTACHED: ("paperclip", "secondary"),
    EventKind.TRANSFERRED: ("arrows-exchange", "purple"),
    EventKind.NEED_INFO: ("help-circle", "purple"),
    EventKind.RESUMED: ("player-play", "blue"),
    EventKind.RESOLVED: ("circle-check", "green"),
    EventKind.CONFIRMED: ("check", "green"),
    EventKind.REOPENED: ("rotate", "yellow"),
    EventKind.CLOSED: ("lock", "secondary"),
    EventKind.CANCELLED: ("ban", "red"),
    EventKind.UPDATED: ("adjustments", "secondary"),
    EventKind.TAKEN_OVER: ("user-check", "indigo"),
    EventKind.COLLABORATOR_ADDED: ("users", "azure"),
    EventKind.COLLABORATOR_REMOVED: ("users", "secondary"),
    EventKind.CC_ADDED: ("mail-opened", "azure"),
    EventKind.CC_REMOVED: ("mail-opened", "secondary"),
}


@register.simple_tag
def event_icon(event):
    name, colour = EVENT_ICONS.get(event.kind, ("info-circle", "secondary"))
    return {"name": name, "colour": colour}


@register.simple_tag
def priority_label(value):
    return _label(Priority, value)
