"""Knowledge base pages (知识库), the assistant page and stream, and the smart-support fragments
for the ticket pages. Thin: reads through selectors/search, writes through services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from andon.accounts.permissions import has_perm
from andon.core import throttling
from andon.core.errors import ServiceError
from andon.core.views import is_htmx
from andon.knowledge import assistant, search, selectors, services, suggestions
from andon.knowledge.forms import ArticleForm, AskForm, SearchForm
from andon.knowledge.models import ArticleStatus, Visibility
from andon.tickets import policies
from andon.tickets.forms import apply_service_errors
from andon.tickets.selectors import get_visible_ticket

PAGE_SIZE = 20


def _require_view(user) -> None:
    if not (has_perm(user, "knowledge.view") or has_perm(user, "knowledge.manage")):
        raise PermissionDenied


@login_required
@require_GET
def index(request):
    _require_view(request.user)
    form = SearchForm(request.GET)
    form.is_valid()
    data = form.cleaned_data if form.is_valid() else {}
    q = (data.get("q") or "").strip()
    context = {
        "form": form,
        "q": q,
        "categories": selectors.categories_with_counts(request.user),
        "can_manage": selectors.can_manage(request.user),
        "selected_category": data.get("category"),
        "selected_tag": data.get("tag") or "",
    }
    if q:
        context["hits"] = search.search_articles(request.user, q, limit=30)
    else:
        articles = selectors.article_list(
            request.user, category_id=data.get("category"), tag=data.get("tag") or ""
        )
        context["page"] = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    template = "knowledge/_results.html" if is_htmx(request) else "knowledge/index.html"
    return render(request, template, context)


def _article_or_404(user, pk):
    article = selectors.get_visible_article(user, pk)
    if article is None:
        raise Http404(_("文章不存在或无权查看"))
    return article


@login_required
@require_GET
def article_detail(request, pk: int):
    _require_view(request.user)
    article = _article_or_404(request.user, pk)
    return render(
        request,
        "knowledge/article.html",
        {
            "article": article,
            "my_vote": selectors.user_vote(request.user, article),
            "can_manage": selectors.can_manage(request.user),
            "revision_count": article.revisions.count(),
        },
    )


@login_required
@require_POST
def article_vote(request, pk: int):
    _require_view(request.user)
    helpful = request.POST.get("helpful")
    try:
        article = services.vote_article(
            article_id=pk, actor=request.user, helpful={"1": True, "0": False}.get(helpful, helpful)
        )
    except ServiceError as error:
        if error.status_code == 404:
            raise Http404(error.detail) from error
        return HttpResponse(error.detail, status=error.status_code)
    context = {"article": article, "my_vote": selectors.user_vote(request.user, article)}
    if is_htmx(request):
        return render(request, "knowledge/_votes.html", context)
    messages.success(request, _("感谢反馈"))
    return redirect("knowledge:article", pk=pk)


def _initial(article) -> dict:
    return {
        "title": article.title,
        "body": article.body,
        "category": article.category_id,
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "visibility": article.visibility,
        "status": article.status,
    }


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request, pk: int | None = None):
    if not selectors.can_manage(request.user):
        raise PermissionDenied
    article = _article_or_404(request.user, pk) if pk else None
    if request.method == "POST":
        form = ArticleForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            fields = {
                "title": data["title"],
                "body": data["body"],
                "category_id": data["category"].pk if data["category"] else None,
                "tags": data["tags"],
                "visibility": data["visibility"],
                "status": data["status"],
                "note": data["note"],
            }
            try:
                if article is None:
                    article = services.create_article(actor=request.user, **fields)
                    messages.success(request, _("文章已创建"))
                else:
                    services.update_article(article_id=article.pk, actor=request.user, **fields)
                    messages.success(request, _("文章已保存"))
                return redirect("knowledge:article", pk=article.pk)
            except ServiceError as error:
                apply_service_errors(form, error, aliases={"category_id": "category"})
    else:
        initial = (
            _initial(article)
            if article
            else {"visibility": Visibility.INTERNAL, "status": ArticleStatus.DRAFT}
        )
        form = ArticleForm(initial=initial)
    return render(request, "knowledge/edit.html", {"form": form, "article": article})


@login_required
@require_POST
def article_publish(request, pk: int):
    if not selectors.can_manage(request.user):
        raise PermissionDenied
    _article_or_404(request.user, pk)
    services.publish_article(article_id=pk, actor=request.user)
    messages.success(request, _("文章已发布"))
    return redirect("knowledge:article", pk=pk)


@login_required
@require_POST
def article_delete(request, pk: int):
    if not selectors.can_manage(request.user):
        raise PermissionDenied
    _article_or_404(request.user, pk)
    services.delete_article(article_id=pk, actor=request.user)
    messages.success(request, _("文章已删除"))
    return redirect("knowledge:index")


@login_required
@require_GET
def article_revisions(request, pk: int):
    _require_view(request.user)
    article = _article_or_404(request.user, pk)
    revisions = article.revisions.select_related("editor")
    return render(request, "knowledge/revisions.html", {"article": article, "revisions": revisions})


@login_required
@require_http_methods(["GET", "POST"])
def categories(request):
    if not selectors.can_manage(request.user):
        raise PermissionDenied
    error = None
    if request.method == "POST":
        try:
            services.create_category(actor=request.user, name=request.POST.get("name", ""))
            messages.success(request, _("分类已添加"))
            return redirect("knowledge:categories")
        except ServiceError as exc:
            error = exc.detail
    return render(
        request,
        "knowledge/categories.html",
        {"categories": selectors.categories_with_counts(request.user), "error": error},
    )


# --- the assistant --------------------------------------------------------------------------


@login_required
@require_GET
def assistant_page(request):
    _require_view(request.user)
    return render(request, "knowledge/assistant.html", {"llm": assistant.llm_configured()})


def _sse(event: dict) -> bytes:
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


@require_POST
def assistant_stream(request):
    """Server-sent events: sources, then the answer's text as it is generated, then done.
    Needs a signed-in desk user or a portal session (both are signed-in users); readers without
    knowledge.view get public sources only. Rate-limited per person (an answer may cost an LLM
    call)."""
    if not request.user.is_authenticated:
        return HttpResponse(_("请先登录"), status=401)
    retry_after = throttling.hit("assistant", f"user:{request.user.pk}")
    if retry_after:
        return throttling.too_many_requests(request, retry_after)
    form = AskForm(request.POST)
    if not form.is_valid():
        return HttpResponse(_("请输入问题（最多 500 字）"), status=400)
    public_only = form.cleaned_data["public"] or not (
        has_perm(request.user, "knowledge.view") or has_perm(request.user, "knowledge.manage")
    )
    prepared = assistant.prepare(
        request.user, form.cleaned_data["question"], public_only=public_only
    )
    response = StreamingHttpResponse(
        (_sse(event) for event in assistant.stream_events(prepared)),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass the stream through unbuffered
    return response


# --- smart support (ticket pages) -----------------------------------------------------------


@login_required
@require_GET
def ticket_smart(request, pk: int):
    ticket = get_visible_ticket(request.user, pk)
    found = suggestions.for_ticket(request.user, ticket)
    can_convert = bool(ticket.resolution.strip()) and (
        selectors.can_manage(request.user)
        or (
            has_perm(request.user, "tickets.handle")
            and policies.is_staff_side(request.user, ticket)
        )
    )
    return render(
        request,
        "knowledge/_ticket_smart_results.html",
        {"ticket": ticket, "found": found, "can_convert": can_convert},
    )


@login_required
@require_POST
def ticket_to_article(request, pk: int):
    try:
        article = services.article_from_ticket(ticket_id=pk, actor=request.user)
    except ServiceError as error:
        if error.status_code == 404:
            raise Http404(error.detail) from error
        messages.error(request, error.detail)
        return redirect("tickets:detail", pk=pk)
    messages.success(request, _("已生成草稿文章，请完善后发布"))
    url = reverse("knowledge:edit", args=[article.pk])
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
@require_GET
def catalog_suggest(request):
    text = f"{request.GET.get('title', '')}\n{request.GET.get('description', '')}".strip()
    found = suggestions.suggest_catalog_entries(text, limit=2) if len(text) >= 2 else []
    return render(request, "knowledge/_catalog_suggestion.html", {"suggestions": found})
