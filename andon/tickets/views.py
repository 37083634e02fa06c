"""Ticket pages. Thin: every read starts from `visible_tickets(user)`, every write is a service
call, and a service error is shown next to the form that caused it (never as a server error)."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from andon.accounts.permissions import has_perm
from andon.catalog.models import CatalogEntry
from andon.core.errors import ServiceError
from andon.core.views import htmx_target, is_htmx
from andon.fields.display import custom_field_rows
from andon.fields.forms import filing_context, live_entry, split_field_errors
from andon.fields.forms import posted_values as posted_custom_fields
from andon.ola import selectors as ola_selectors
from andon.queues.models import Queue, QueueMembership
from andon.queues.selectors import member_queue_ids
from andon.reports.selectors import my_summary
from andon.tickets import policies, services
from andon.tickets.filters import TicketFilter
from andon.tickets.forms import (
    OPEN_FILTER,
    ActionForm,
    CommentForm,
    TicketCreateForm,
    TicketListFilterForm,
    TransferForm,
    apply_service_errors,
    catalog_tree,
)
from andon.tickets.models import (
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
    Attachment,
    EventKind,
    Status,
    Ticket,
)
from andon.tickets.selectors import (
    ticket_comments,
    ticket_events,
    visible_tickets,
    with_list_relations,
)

User = get_user_model()

PAGE_SIZE = 25


# --- list -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    icon: str


TABS = {
    "assigned": Tab("assigned", gettext_lazy("待我处理"), "user-check"),
    "pool": Tab("pool", gettext_lazy("队列待认领"), "inbox"),
    "created": Tab("created", gettext_lazy("我提交的"), "send"),
    "all": Tab("all", gettext_lazy("全部可见"), "list"),
}


def _handles_tickets(user) -> bool:
    return bool(
        has_perm(user, "tickets.handle")
        or has_perm(user, "tickets.manage")
        or member_queue_ids(user)
    )


def _tabs_for(user) -> list[Tab]:
    if _handles_tickets(user):
        keys = (
            ["assigned", "pool", "created", "all"]
            if member_queue_ids(user)
            else ["assigned", "created", "all"]
        )
    else:
        keys = ["created", "all"]
    return [TABS[key] for key in keys]


def _tab_queryset(user, tab: str):
    qs = visible_tickets(user)
    if tab == "assigned":
        return qs.filter(assignee=user)
    if tab == "pool":
        return qs.filter(assignee__isnull=True, queue_id__in=member_queue_ids(user))
    if tab == "created":
        return qs.filter(Q(requester=user) | Q(created_by=user))
    return qs


def _int_param(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


def keyset_page(qs, params, size: int = PAGE_SIZE) -> dict:
    """Newest first, paged by id: `after` = older than that id, `before` = newer. Constant cost at
    any depth, and stable while tickets are being created."""
    after, before = _int_param(params.get("after")), _int_param(params.get("before"))
    if before is not None:
        rows = list(qs.filter(pk__gt=before).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = True
    else:
        if after is not None:
            qs = qs.filter(pk__lt=after)
        rows = list(qs.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = after is not None
    return {
        "rows": rows,
        "newer": rows[0].pk if rows and has_newer else None,
        "older": rows[-1].pk if rows and has_older else None,
    }


FILTER_NAMES = ("q", "status", "priority", "queue", "catalog_entry")


def filter_tickets(qs, filters: dict, request):
    """Apply the list filters through the same TicketFilter the API uses; the web form only
    adds the 未完成 shortcut and drops values it could not read."""
    data = {name: filters[name] for name in FILTER_NAMES if filters.get(name)}
    # Custom field filters (`cf_<key>=value`) come straight from the query string.
    data.update({k: v for k, v in request.GET.items() if k.startswith("cf_") and v.strip()})
    if data.get("status") == OPEN_FILTER:
        data["status"] = ",".join(UNFINISHED_STATUSES)
    filterset = TicketFilter(data=data, queryset=qs, request=request)
    if not filterset.is_valid():
        for name in filterset.form.errors:
            data.pop(name, None)
        filterset = TicketFilter(data=data, queryset=qs, request=request)
    return filterset.qs


@login_required
@require_GET
def ticket_list(request):
    user = request.user
    tabs = _tabs_for(user)
    tab_keys = [tab.key for tab in tabs]
    tab = request.GET.get("tab")
    if tab not in tab_keys:
        tab = tab_keys[0]
    queues = list(Queue.objects.order_by("-is_enabled", "id").only("id", "name", "is_enabled"))
    catalog_entries = list(
        CatalogEntry.objects.select_related("parent").order_by("parent_id", "order", "id")
    )
    catalog_entries.sort(
        key=lambda e: (e.parent_id or e.pk, e.parent_id is not None, e.order, e.pk)
    )
    form = TicketListFilterForm(request.GET, queues=queues, catalog_entries=catalog_entries)
    filters = form.cleaned_or_empty()
    qs = filter_tickets(_tab_queryset(user, tab), filters, request)
    page = keyset_page(with_list_relations(qs), request.GET)

    counts = {}
    if "assigned" in tab_keys:
        counts["assigned"] = (
            _tab_queryset(user, "assigned").filter(status__in=UNFINISHED_STATUSES).count()
        )
    if "pool" in tab_keys:
        counts["pool"] = _tab_queryset(user, "pool").filter(status__in=OPEN_STATUSES).count()
    filtered = any(filters.get(name) for name in FILTER_NAMES)
    context = {
        "tabs": [(t, counts.get(t.key)) for t in tabs],
        "tab": tab,
        "form": form,
        "filtered": filtered,
        "tickets": page["rows"],
        "newer": page["newer"],
        "older": page["older"],
    }
    if htmx_target(request) != "ticket-results" and _handles_tickets(user):
        context["my_summary"] = my_summary(user)
    template = (
        "tickets/_list_results.html"
        if htmx_target(request) == "ticket-results"
        else "tickets/list.html"
    )
    return render(request, template, context)


# --- create ---------------------------------------------------------------------------------


@login_required
def ticket_create(request):
    if not has_perm(request.user, "tickets.create"):
        raise PermissionDenied
    form = TicketCreateForm(request.POST or None, request.FILES or None)
    status = 200
    field_values, field_errors = {}, {}
    if request.method == "POST":
        field_values = posted_custom_fields(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.create_ticket(
                    actor=request.user,
                    title=data["title"],
                    catalog_entry_id=data["catalog_entry"] or None,
                    description=data["description"],
                    priority=data["priority"] or None,
                    attachments=data["attachments"],
                    custom_fields=field_values,
                )
            except ServiceError as exc:
                rest, field_errors = split_field_errors(exc)
                if rest.errors or not field_errors:
                    apply_service_errors(form, rest)
                status = exc.status_code
            else:
                messages.success(request, _("工单 %s 已提交") % ticket.number)
                return redirect("tickets:detail", pk=ticket.pk)
        else:
            status = 400
    context = {
        "form": form,
        "catalog": catalog_tree(),
        "selected_parent": form["catalog_parent"].value() or "",
        "selected_entry": form["catalog_entry"].value() or "",
        **filing_context(
            live_entry(form["catalog_entry"].value()),
            {k: v for k, v in field_values.items() if isinstance(v, str | list) and v},
            field_errors,
        ),
    }
    return render(request, "tickets/create.html", context, status=status)


# --- the ticket page ------------------------------------------------------------------------


def get_visible_ticket_or_404(user, pk) -> Ticket:
    ticket = (
        with_list_relations(visible_tickets(user))
        .select_related("created_by")
        .filter(pk=pk)
        .first()
    )
    if ticket is None:
        raise Http404(_("工单不存在或无权查看"))
    return ticket


@dataclass
class ActionSpec:
    """One button in zone (4). Actions with a `field` open a small form; the others post at once."""

    name: str
    label: str
    icon: str
    style: str = "btn-outline-secondary"
    field: str | None = None  # the note's name as the service calls it
    field_label: str = ""
    required: bool = False
    placeholder: str = ""
    submit: str = ""
    confirm: str = ""


def _action_specs() -> dict[str, ActionSpec]:
    return {
        "claim": ActionSpec("claim", _("认领"), "hand-grab", "btn-primary", submit=_("认领")),
        "accept": ActionSpec(
            "accept", _("接单"), "hand-grab", "btn-primary", submit=_("接单，开始处理")
        ),
        "resolve": ActionSpec(
            "resolve",
            _("解决"),
            "circle-check",
            "btn-success",
            field="resolution",
            field_label=_("解决方案"),
            required=True,
            placeholder=_("原因与处理办法，会展示给提单人"),
            submit=_("提交解决方案"),
        ),
        "need-info": ActionSpec(
            "need-info",
            _("要求补充"),
            "help-circle",
            "btn-outline-purple",
            field="note",
            field_label=_("需要补充的内容"),
            required=True,
            placeholder=_("请提单人补充哪些信息？等待期间 OLA 计时暂停"),
            submit=_("发送给提单人"),
        ),
        "transfer": ActionSpec(
            "transfer", _("转单"), "arrows-exchange", "btn-outline-secondary", submit=_("转单")
        ),
        "resume": ActionSpec(
            "resume",
            _("补充完成"),
            "player-play",
            "btn-primary",
            field="note",
            field_label=_("补充的信息"),
            placeholder=_("补充说明（可选）"),
            submit=_("补充完成，继续处理"),
        ),
        "confirm": ActionSpec(
            "confirm",
            _("确认完成"),
            "check",
            "btn-success",
            field="note",
            field_label=_("评价或说明"),
            placeholder=_("可选"),
            submit=_("确认问题已解决"),
        ),
        "reopen": ActionSpec(
            "reopen",
            _("重新打开"),
            "rotate",
            "btn-outline-warning",
            field="reason",
            field_label=_("重新打开的原因"),
            required=True,
            placeholder=_("问题仍然存在的现象"),
            submit=_("重新打开"),
        ),
        "urge": ActionSpec(
            "urge",
            _("催单"),
            "speakerphone",
            "btn-outline-orange",
            field="note",
            field_label=_("催单说明"),
            placeholder=_("可选，例如影响的人数或截止时间"),
            submit=_("催一下"),
        ),
        "cancel": ActionSpec(
            "cancel",
            _("取消工单"),
            "ban",
            "btn-outline-danger",
            field="reason",
            field_label=_("取消原因"),
            placeholder=_("可选"),
            submit=_("取消工单"),
        ),
        "close": ActionSpec(
            "close",
            _("关闭"),
            "lock",
            "btn-outline-secondary",
            field="note",
            field_label=_("关闭说明"),
            placeholder=_("可选"),
            submit=_("关闭工单"),
        ),
    }


def available_actions(user, ticket: Ticket) -> list[str]:
    """Mirror of the services' own checks (policies + status), to decide which buttons to show."""
    status = ticket.status
    names = []
    if status in OPEN_STATUSES and policies.can_claim(user, ticket):
        if ticket.assignee_id is None:
            names.append("claim")
        elif ticket.assignee_id == user.pk and status == Status.PENDING:
            names.append("accept")
    if policies.can_work(user, ticket):
        if status in (Status.PENDING, Status.PROCESSING):
            names += ["resolve", "need-info"]
        if status in OPEN_STATUSES:
            names.append("transfer")
    if status == Status.NEED_INFO and policies.can_resume(user, ticket):
        names.append("resume")
    if status == Status.TO_CONFIRM and policies.can_confirm(user, ticket):
        names.append("confirm")
    if status in (Status.TO_CONFIRM, Status.DONE) and policies.can_reopen(user, ticket):
        names.append("reopen")
    if status in OPEN_STATUSES and policies.can_urge(user, ticket):
        names.append("urge")
    if status in OPEN_STATUSES and policies.can_cancel(user, ticket):
        names.append("cancel")
    if status in (*OPEN_STATUSES, Status.TO_CONFIRM, Status.DONE) and policies.can_close(
        user, ticket
    ):
        names.append("close")
    return names


def can_comment_now(user, ticket: Ticket) -> bool:
    return policies.can_comment(user, ticket) and ticket.status not in (
        Status.CLOSED,
        Status.CANCELLED,
    )


def _transfer_choices():
    queues = list(Queue.objects.filter(is_enabled=True).order_by("id").only("id", "name"))
    memberships = (
        QueueMembership.objects.filter(queue__is_enabled=True, user__is_active=True)
        .select_related("user")
        .order_by("queue_id", "id")
    )
    people: dict[int, list] = {}
    for membership in memberships:
        people.setdefault(membership.queue_id, []).append(membership.user)
    return [(queue, people.get(queue.pk, [])) for queue in queues]


def _timeline(user, ticket: Ticket, attachments: dict[int, Attachment]) -> list[dict]:
    comments = {comment.pk: comment for comment in ticket_comments(user, ticket)}
    entries = []
    for event in ticket_events(user, ticket):
        entry = {"event": event, "comment": None, "attachment": None}
        if event.kind == EventKind.COMMENTED:
            entry["comment"] = comments.get(event.after.get("comment"))
            if entry["comment"] is None:
                continue
        elif event.kind == EventKind.ATTACHED:
            entry["attachment"] = attachments.get(event.after.get("attachment"))
        entries.append(entry)
    return entries


def _visible_attachments(user, ticket: Ticket) -> list[Attachment]:
    staff_side = policies.is_staff_side(user, ticket)
    rows = Attachment.objects.filter(ticket=ticket).select_related("comment", "uploaded_by")
    return [a for a in rows if staff_side or a.comment_id is None or not a.comment.is_internal]


def workspace_context(
    request, ticket: Ticket, *, forms: dict | None = None, flash: str = ""
) -> dict:
    user = request.user
    specs = _action_specs()
    names = available_actions(user, ticket)
    forms = forms or {}
    attachments = _visible_attachments(user, ticket)
    by_id = {a.pk: a for a in attachments}
    staff_side = policies.is_staff_side(user, ticket)
    return {
        "ticket": ticket,
        "actions": [{"spec": specs[name], "form": forms.get(name)} for name in names],
        "open_action": next((name for name in forms if name in names), ""),
        "transfer_choices": _transfer_choices() if "transfer" in names else [],
        "timeline": _timeline(user, ticket, by_id),
        "attachments": [a for a in attachments if a.comment_id is None],
        "can_comment": can_comment_now(user, ticket),
        "can_internal": staff_side,
        "comment_form": forms.get("comment") or CommentForm(),
        "is_assignee": policies.is_assignee(user, ticket),
        "is_requester": policies.is_requester(user, ticket),
        "custom_fields": custom_field_rows(ticket.custom_fields, by_id),
        "flash": flash,
        "ola": ola_selectors.ticket_ola(ticket),
    }


@login_required
@require_GET
def ticket_detail(request, pk: int):
    ticket = get_visible_ticket_or_404(request.user, pk)
    return render(request, "tickets/detail.html", workspace_context(request, ticket))


# --- actions --------------------------------------------------------------------------------


SUCCESS_MESSAGES = {
    "claim": gettext_lazy("已认领，你现在是当前处理人"),
    "accept": gettext_lazy("已接单，开始处理"),
    "resolve": gettext_lazy("已提交解决方案，等待提单人确认"),
    "need-info": gettext_lazy("已请提单人补充信息"),
    "transfer": gettext_lazy("已转单"),
    "resume": gettext_lazy("已补充完成，工单恢复处理"),
    "confirm": gettext_lazy("已确认完成"),
    "reopen": gettext_lazy("工单已重新打开"),
    "urge": gettext_lazy("已催单，当前处理人会收到提醒"),
    "cancel": gettext_lazy("工单已取消"),
    "close": gettext_lazy("工单已关闭"),
    "comment": gettext_lazy("评论已发布"),
}


def _run_action(name: str, request, ticket: Ticket):
    """Call the service for one action; returns the bound form (for re-display on error)."""
    user, pk = request.user, ticket.pk
    if name == "transfer":
        form = TransferForm(request.POST)
        form.is_valid()
        data = form.cleaned_data
        services.transfer_ticket(
            ticket_id=pk,
            actor=user,
            queue_id=data.get("queue") or None,
            assignee_id=data.get("assignee") or None,
            note=data.get("note", ""),
        )
        return form
    if name == "comment":
        form = CommentForm(request.POST, request.FILES)
        form.is_valid()
        data = form.cleaned_data
        if "attachments" in form.errors:
            raise ServiceError(
                form.errors["attachments"][0], errors={"attachments": form.errors["attachments"]}
            )
        services.add_comment(
            ticket_id=pk,
            actor=user,
            body=data.get("body", ""),
            is_internal=data.get("is_internal", False),
            attachments=data.get("attachments") or [],
        )
        return form
    form = ActionForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    calls = {
        "claim": lambda: services.claim_ticket(ticket_id=pk, actor=user),
        "accept": lambda: services.claim_ticket(ticket_id=pk, actor=user),
        "resolve": lambda: services.resolve_ticket(ticket_id=pk, actor=user, resolution=note),
        "need-info": lambda: services.request_info(ticket_id=pk, actor=user, note=note),
        "resume": lambda: services.resume_ticket(ticket_id=pk, actor=user, note=note),
        "confirm": lambda: services.confirm_ticket(ticket_id=pk, actor=user, note=note),
        "reopen": lambda: services.reopen_ticket(ticket_id=pk, actor=user, reason=note),
        "urge": lambda: services.urge_ticket(ticket_id=pk, actor=user, note=note),
        "cancel": lambda: services.cancel_ticket(ticket_id=pk, actor=user, reason=note),
        "close": lambda: services.close_ticket(ticket_id=pk, actor=user, note=note),
    }
    calls[name]()
    return form


ACTION_NAMES = frozenset(SUCCESS_MESSAGES)
# Services name the note after its meaning (resolution, reason); the form always calls it `note`.
NOTE_ALIASES = {"resolution": "note", "reason": "note", "body": "body"}


@login_required
@require_POST
def ticket_action(request, pk: int, action: str):
    if action not in ACTION_NAMES:
        raise Http404
    ticket = get_visible_ticket_or_404(request.user, pk)
    try:
        _run_action(action, request, ticket)
    except ServiceError as exc:
        return _action_error(request, ticket, action, exc)
    ticket = (
        with_list_relations(visible_tickets(request.user))
        .select_related("created_by")
        .filter(pk=pk)
        .first()
    )
    message = str(SUCCESS_MESSAGES[action])
    if ticket is None:
        # e.g. transferred away from the only queue that let this user see it.
        messages.success(request, message)
        return _redirect(request, reverse("tickets:list"))
    if is_htmx(request):
        context = workspace_context(request, ticket, flash=message)
        return render(request, "tickets/_workspace.html", context)
    messages.success(request, message)
    return redirect("tickets:detail", pk=pk)


def _redirect(request, url: str) -> HttpResponse:
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _action_error(request, ticket: Ticket, action: str, exc: ServiceError) -> HttpResponse:
    if action == "comment":
        form = CommentForm(request.POST)
        form.is_valid()
        apply_service_errors(form, exc)
    else:
        form_class = TransferForm if action == "transfer" else ActionForm
        form = form_class(request.POST)
        form.is_valid()
        apply_service_errors(form, exc, aliases=NOTE_ALIASES)
    if is_htmx(request):
        context = workspace_context(request, ticket, forms={action: form})
        if action == "comment":
            template, target = "tickets/_comment_form.html", "#comment-form"
        else:
            context["spec"] = _action_specs().get(action)
            context["form"] = form
            template, target = "tickets/_action_form.html", f"#action-form-{action}"
        response = render(request, template, context, status=exc.status_code)
        response["HX-Retarget"] = target
        response["HX-Reswap"] = "outerHTML"
        return response
    context = workspace_context(request, ticket, forms={action: form})
    return render(request, "tickets/detail.html", context, status=exc.status_code)


@login_required
@require_POST
def ticket_attach(request, pk: int):
    """Attachments added on their own (not with a comment): each one is recorded in the log."""
    ticket = get_visible_ticket_or_404(request.user, pk)
    form = CommentForm(data={}, files=request.FILES)
    form.is_valid()
    uploads = form.cleaned_data.get("attachments") or []
    try:
        if not uploads:
            raise ServiceError(
                _("请选择要上传的文件"), errors={"attachments": [_("请选择要上传的文件")]}
            )
        with transaction.atomic():
            for upload in uploads:
                services.add_attachment(ticket_id=pk, actor=request.user, upload=upload)
    except ServiceError as exc:
        if is_htmx(request):
            response = render(
                request,
                "tickets/_attach_form.html",
                {"ticket": ticket, "attach_error": exc.detail},
                status=exc.status_code,
            )
            response["HX-Retarget"] = "#attach-form"
            response["HX-Reswap"] = "outerHTML"
            return response
        messages.error(request, exc.detail)
        return redirect("tickets:detail", pk=pk)
    ticket = get_visible_ticket_or_404(request.user, pk)
    message = _("已上传 %s 个附件") % len(uploads)
    if is_htmx(request):
        return render(
            request, "tickets/_workspace.html", workspace_context(request, ticket, flash=message)
        )
    messages.success(request, message)
    return redirect("tickets:detail", pk=pk)


@login_required
@require_GET
def attachment_download(request, pk: int, attachment_id: int):
    ticket = get_object_or_404(visible_tickets(request.user), pk=pk)
    attachment = get_object_or_404(
        Attachment.objects.select_related("comment"), pk=attachment_id, ticket=ticket
    )
    if (
        attachment.comment_id
        and attachment.comment.is_internal
        and not policies.is_staff_side(request.user, ticket)
    ):
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # The type comes from the stored extension (allow-listed), never from the uploader's header,
    # and the file is always a download: an uploaded file is never rendered as a page.
    content_type = mimetypes.guess_type(f"x{attachment.extension}")[0] or "application/octet-stream"
    return FileResponse(
        handle, as_attachment=True, filename=attachment.original_name, content_type=content_type
    )
