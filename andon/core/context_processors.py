from andon.accounts.permissions import has_perm


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from andon.notifications.models import Notification

    return {
        "can": {
            code.replace(".", "_"): has_perm(user, code)
            for code in ("tickets.create", "tickets.handle", "reports.view", "knowledge.view",
                         "queues.manage", "catalog.manage", "roles.manage", "people.manage")
        },
        "unread_notifications": Notification.objects.filter(
            recipient=user, read_at__isnull=True
        ).count,
    }
