"""配置 › 队列 › 自动确认与关闭: a queue's periods (admins with `queues.manage`)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from andon.accounts.permissions import has_perm
from andon.core.errors import ServiceError
from andon.followup import selectors, services
from andon.followup.models import MAX_CLOSE_DAYS, MAX_CONFIRM_DAYS
from andon.queues.models import Queue

FIELDS = ("confirm_after_working_days", "close_after_days")


@login_required
@require_http_methods(["GET", "POST"])
def queue_periods(request, queue_id: int):
    if not has_perm(request.user, "queues.manage"):
        raise PermissionDenied
    queue = Queue.objects.filter(pk=queue_id).first()
    if queue is None:
        raise Http404
    values = selectors.queue_periods(queue)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FIELDS}
        try:
            services.save_queue_periods(actor=request.user, queue=queue, data=values)
        except ServiceError as exc:
            errors, status = exc.errors, exc.status_code
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("已保存自动确认与关闭的设置"))
            return redirect("config:queue-follow-up", queue_id=queue.pk)
    return render(
        request,
        "followup/queue_periods.html",
        {
            "queue": queue,
            "values": values,
            "errors": errors,
            "max_confirm": MAX_CONFIRM_DAYS,
            "max_close": MAX_CLOSE_DAYS,
        },
        status=status,
    )
