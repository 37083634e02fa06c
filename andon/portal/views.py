"""The requester portal (/portal/): sign in (desk account or e-mailed one-time link), file and
follow one's own tickets, act on them through the desk's ticket services, read public articles;
and, for admins, the printable QR code of the portal entry."""

from __future__ import annotations

from functools import wraps
from importlib.util import find_spec
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.catalog.models import CatalogEntry
from andon.core import throttling
from andon.core.errors import ServiceError
from andon.core.validation import parse_id
from andon.csat import selectors as csat_selectors
from andon.csat import views as csat_views
from andon.portal import selectors, services
from andon.portal.forms import MagicLinkForm, PortalTicketForm
from andon.portal.middleware import PORTAL_SESSION_KEY
from andon.tickets import services as ticket_services
from andon.tickets import workflow
from andon.tickets.forms import catalog_tree
from andon.tickets.selectors import get_visible_ticket


def portal_user_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect("portal:index")
        if not selectors.may_use_portal(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def knowledge_available() -> bool:
    return find_spec("andon.knowledge.search") is not None


@require_GET
def index(request):
    user = request.user
    if not user.is_authenticated:
        login_url = reverse("login") + "?" + urlencode({"next": reverse("portal:index")})
        return render(
            request,
            "portal/signin.html",
            {"form": MagicLinkForm(), "login_url": login_url},
        )
    if not selectors.may_use_portal(user):
        raise PermissionDenied
    tickets = list(selectors.my_tickets(user)[:50])
    return render(
        request,
        "portal/index.html",
        {
            "tickets": tickets,
            "is_contact": selectors.is_portal_contact(user),
            "knowledge_available": knowledge_available(),
        },
    )


@require_POST
def request_link(request):
    # Per address here; per e-mail address in the service (MagicLink rows).
    retry_after = throttling.hit("portal_link_address", throttling.client_ip(request))
    if retry_after:
        return throttling.too_many_requests(request, retry_after)
    form = MagicLinkForm(request.POST)
    if form.is_valid():
        try:
            services.request_magic_link(
                email=form.cleaned_data["email"], next_path=request.POST.get("next", "")
            )
        except ServiceError as exc:
            form.add_error("email", exc.detail)
        else:
            return render(request, "portal/link_sent.html", {"email": form.cleaned_data["email"]})
    login_url = reverse("login") + "?" + urlencode({"next": reverse("portal:index")})
    return render(request, "portal/signin.html", {"form": form, "login_url": login_url}, status=400)


@require_http_methods(["GET", "POST"])
def magic(request, token):
    """GET only shows a button: mail scanners that fetch links must not use up the token."""
    if request.method == "GET":
        link = services.peek_magic_link(token)
        return render(request, "portal/magic.html", {"link": link}, status=200 if link else 404)
    try:
        user, next_path = services.consume_magic_link(token=token)
    except ServiceError as exc:
        return render(request, "portal/magic.html", {"link": None, "error": exc.detail}, status=404)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[PORTAL_SESSION_KEY] = True
    return redirect(next_path or "portal:index")


def _entry_from(value) -> CatalogEntry | None:
    pk = parse_id(value)
    if not pk:
        return None
    return (
        CatalogEntry.objects.select_related("parent")
        .filter(pk=pk, parent__isnull=False, is_retired=False)
        .first()
    )


def _custom_fields(entry):
    if entry is None or find_spec("andon.fields.selectors") is None:
        return []
    from andon.fields.selectors import fields_for_entry

    return list(fields_for_entry(entry))


@portal_user_required
@require_http_methods(["GET", "POST"])
def new_ticket(request):
    entry = _entry_from(request.POST.get("catalog_entry") or request.GET.get("entry"))
    fields = _custom_fields(entry)
    form = PortalTicketForm(request.POST or None, request.FILES or None, custom=fields)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = ticket_services.create_ticket(
                    actor=request.user,
                    origin={"kind": "portal"},
                    title=data["title"],
                    catalog_entry_id=data["catalog_entry"] or None,
                    description=data["description"],
                    priority=data["priority"] or None,
                    custom_fields=form.custom_values(),
                    attachments=data["attachments"],
                )
            except ServiceError as exc:
                form.apply_errors(exc)
                status = exc.status_code
            else:
                messages.success(request, _("工单 %s 已提交，我们会尽快处理") % ticket.number)
                return redirect("portal:ticket", pk=ticket.pk)
        else:
            status = 400
    return render(
        request,
        "portal/new_ticket.html",
        {"form": form, "catalog": catalog_tree(), "entry": entry, "fields": form.custom_fields},
        status=status,
    )


def _my_ticket(request, pk):
    """Only the requester's own tickets, even for staff (`selectors.my_tickets`); 404 otherwise."""
    return get_visible_ticket(request.user, pk, within=selectors.my_tickets(request.user))


@portal_user_required
@require_GET
def ticket_detail(request, pk):
    ticket = _my_ticket(request, pk)
    comments = selectors.public_comments(ticket)
    available = workflow.available_actions(request.user, ticket, workflow.PORTAL)
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": ticket,
            "comments": comments,
            "actions": dict.fromkeys(available, True),
            "csat": csat_selectors.rating_panel(request.user, ticket),
            "csat_scale": csat_selectors.SCALE,
        },
    )


@portal_user_required
@require_POST
def ticket_rate(request, pk):
    return csat_views.portal_rate(request, _my_ticket(request, pk))


# Lazy: built at import, translated per request into the visitor's language.
DONE_MESSAGES = {
    "comment": gettext_lazy("评论已发表"),
    "urge": gettext_lazy("已催单"),
    "confirm": gettext_lazy("已确认完成，感谢反馈"),
    "reopen": gettext_lazy("工单已重新打开"),
    "resume": gettext_lazy("已补充信息，工单恢复处理"),
    "cancel": gettext_lazy("工单已取消"),
}


@portal_user_required
@require_POST
def ticket_action(request, pk, action):
    if action not in workflow.names(workflow.PORTAL):
        raise Http404
    ticket = _my_ticket(request, pk)
    step = workflow.get(action)
    # The portal's one text box is the action's first input (the comment's body, the note).
    text = {step.inputs[0].argument: request.POST.get("note", "")} if step.inputs else {}
    try:
        getattr(ticket_services, step.service)(ticket_id=ticket.pk, actor=request.user, **text)
    except ServiceError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, str(DONE_MESSAGES[action]))
    return redirect("portal:ticket", pk=ticket.pk)


@portal_user_required
@require_GET
def articles(request):
    q = request.GET.get("q", "").strip()[:200]
    results, enabled = [], knowledge_available()
    if enabled and q:
        from andon.knowledge.search import search_articles

        results = search_articles(request.user, q, public_only=True, limit=20)
    return render(request, "portal/articles.html", {"q": q, "results": results, "enabled": enabled})


# --- QR codes (admins) -----------------------------------------------------------------------


def _qr_target(request) -> tuple[str, CatalogEntry | None]:
    entry = _entry_from(request.GET.get("entry"))
    url = settings.SITE_URL + reverse("portal:new" if entry else "portal:index")
    if entry is not None:
        url += "?" + urlencode({"entry": entry.pk})
    return url, entry


def _require_qr_admin(request):
    if not request.user.is_authenticated:
        return redirect(reverse("login") + "?" + urlencode({"next": request.get_full_path()}))
    if not selectors.may_print_qr(request.user):
        raise PermissionDenied
    return None


@require_GET
def qr_page(request):
    if (response := _require_qr_admin(request)) is not None:
        return response
    import segno

    url, entry = _qr_target(request)
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2)
    entries = CatalogEntry.objects.filter(parent__isnull=False, is_retired=False).select_related(
        "parent"
    )
    return render(
        request,
        "portal/qr.html",
        {"url": url, "entry": entry, "svg": svg, "entries": entries},
    )


@require_GET
def qr_image(request, fmt):
    if fmt not in ("svg", "png"):
        raise Http404
    if (response := _require_qr_admin(request)) is not None:
        return response
    import io

    import segno

    url, entry = _qr_target(request)
    qr = segno.make(url, error="m")
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.save(buffer, kind="svg", scale=10, border=2)
        content_type = "image/svg+xml"
    else:
        qr.save(buffer, kind="png", scale=10, border=2)
        content_type = "image/png"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    name = f"portal-qr-{entry.pk}" if entry else "portal-qr"
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
