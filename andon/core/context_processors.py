from andon.accounts.permissions import ALL_CODES, has_perm
from andon.core.views import CONFIG_SECTIONS


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from andon.notifications.models import Notification

    can = {code.replace(".", "_"): has_perm(user, code) for code in sorted(ALL_CODES)}
    # Any permission that opens a section of 配置 shows it in the navigation.
    can["config"] = any(has_perm(user, code) for *_, code in CONFIG_SECTIONS)
    return {
        "can": can,
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count,
    }
