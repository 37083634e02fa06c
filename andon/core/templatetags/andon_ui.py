"""Small presentation helpers shared by every page: icons, badges, avatars, Markdown."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from andon.core.markdown import render_markdown
from andon.core.vendor import ICONS, SPRITE_TARGET

register = template.Library()

_ICON_NAMES = frozenset(ICONS)

STATUS_STYLES = {
    "pending": "bg-orange-lt",
    "processing": "bg-blue-lt",
    "need_info": "bg-purple-lt",
    "to_confirm": "bg-cyan-lt",
    "done": "bg-green-lt",
    "closed": "bg-secondary-lt",
    "cancelled": "bg-secondary-lt text-decoration-line-through",
}
PRIORITY_STYLES = {
    "L1": "bg-red text-red-fg",
    "L2": "bg-orange-lt",
    "L3": "bg-azure-lt",
    "L4": "bg-secondary-lt",
}
AVATAR_COLOURS = ("blue", "azure", "indigo", "purple", "pink", "orange", "teal", "green", "cyan")


@register.simple_tag
def icon(name: str, extra_class: str = ""):
    """An inline Tabler icon from the vendored sprite (`andon vendor` lists the names)."""
    if name not in _ICON_NAMES:
        raise template.TemplateSyntaxError(f"icon {name!r} is not in andon.core.vendor.ICONS")
    return format_html(
        '<svg class="icon {}" width="24" height="24" viewBox="0 0 24 24" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" '
        'aria-hidden="true"><use href="{}#{}"></use></svg>',
        extra_class,
        static(f"vendor/{SPRITE_TARGET}"),
        name,
    )


@register.simple_tag
def status_badge(ticket_or_status, label: str = ""):
    value = getattr(ticket_or_status, "status", ticket_or_status)
    if not label:
        if hasattr(ticket_or_status, "get_status_display"):
            label = ticket_or_status.get_status_display()
        else:
            from andon.tickets.models import Status

            label = Status(value).label if value in Status.values else value
    return format_html(
        '<span class="badge {} status-badge" data-status="{}">{}</span>',
        STATUS_STYLES.get(value, "bg-secondary-lt"),
        value,
        label,
    )


@register.simple_tag
def priority_badge(ticket_or_priority, full: bool = False):
    from andon.tickets.models import Priority

    value = getattr(ticket_or_priority, "priority", ticket_or_priority)
    label = Priority(value).label if (full and value in Priority.values) else value
    return format_html(
        '<span class="badge {} priority-badge" title="{}">{}</span>',
        PRIORITY_STYLES.get(value, "bg-secondary-lt"),
        Priority(value).label if value in Priority.values else value,
        label,
    )


@register.simple_tag
def avatar(user, size: str = "sm"):
    if user is None:
        return ""
    name = getattr(user, "name", "") or str(user)
    initials = name[-2:] if any("\u4e00" <= ch <= "\u9fff" for ch in name) else name[:2].upper()
    colour = AVATAR_COLOURS[(user.pk or 0) % len(AVATAR_COLOURS)]
    return format_html(
        '<span class="avatar avatar-{} bg-{}-lt" title="{}">{}</span>', size, colour, name, initials
    )


@register.filter
def markdown(text):
    return render_markdown(text or "")
