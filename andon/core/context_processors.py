from andon.accounts.permissions import ALL_CODES, has_perm

# Any of these opens the configuration section (配置).
CONFIG_CODES = (
    "queues.manage",
    "catalog.manage",
    "fields.manage",
    "roles.manage",
    "people.manage",
    "integrations.manage",
)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from andon.notifications.models import Notification

    can = {code.replace(".", "_"): has_perm(user, code) for code in sorted(ALL_CODES)}
    can["config"] = any(has_perm(user, code) for code in CONFIG_CODES)
    return {
        "can": can,
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count,
    }
