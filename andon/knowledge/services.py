"""Every write to the knowledge base. Each function checks the permission, validates, saves,
records a revision where the article changed and rewrites the search index, in one transaction."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from andon.accounts.permissions import has_perm
from andon.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from andon.core.validation import single_line
from andon.knowledge import search
from andon.knowledge.models import (
    Article,
    ArticleRevision,
    ArticleStatus,
    ArticleVote,
    Category,
    Tag,
    Visibility,
)

TITLE_MAX = 200
BODY_MAX = 100_000
TAG_MAX = 30
TAGS_PER_ARTICLE = 10
_UNSET = object()


def _require_manage(actor) -> None:
    if not has_perm(actor, "knowledge.manage"):
        raise PermissionDenied(_("没有编辑知识库的权限"))


def _locked_article(article_id) -> Article:
    article = Article.objects.select_for_update().filter(pk=article_id).first()
    if article is None:
        raise NotFound(_("文章不存在"))
    return article


def _clean_title(value) -> str:
    title = str(value or "").strip()
    if not title:
        raise ValidationFailed(_("请填写标题"), errors={"title": [_("请填写标题")]})
    single_line(title, "title", label=_("标题"))
    if len(title) > TITLE_MAX:
        message = _("标题最多 %(n)d 个字") % {"n": TITLE_MAX}
        raise ValidationFailed(message, errors={"title": [message]})
    return title


def _clean_body(value) -> str:
    body = str(value or "")
    if len(body) > BODY_MAX:
        message = _("正文最多 %(n)d 个字") % {"n": BODY_MAX}
        raise ValidationFailed(message, errors={"body": [message]})
    return body


def _clean_choice(value, choices, field: str) -> str:
    if value not in choices.values:
        message = _("无效的取值：%s") % value
        raise ValidationFailed(message, errors={field: [message]})
    return value


def _clean_category(value) -> Category | None:
    if value in (None, ""):
        return None
    category = Category.objects.filter(pk=value).first() if str(value).isdigit() else None
    if category is None:
        message = _("分类不存在")
        raise ValidationFailed(message, errors={"category": [message]})
    return category


def _clean_tags(value) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").split(",")
    if not isinstance(value, list | tuple):
        raise ValidationFailed(_("标签格式不对"), errors={"tags": [_("标签应为列表")]})
    names: dict[str, None] = {}
    for raw in value:
        name = str(raw).strip()
        if not name:
            continue
        single_line(name, "tags", label=_("标签"))
        if len(name) > TAG_MAX:
            message = _("标签最多 %(n)d 个字") % {"n": TAG_MAX}
            raise ValidationFailed(message, errors={"tags": [message]})
        names[name] = None
    if len(names) > TAGS_PER_ARTICLE:
        message = _("标签最多 %(n)d 个") % {"n": TAGS_PER_ARTICLE}
        raise ValidationFailed(message, errors={"tags": [message]})
    return list(names)


def _set_tags(article: Article, names: list[str]) -> None:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=name) for name in names if name not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    article.tags.set([existing[name] for name in names])


def _revise(article: Article, *, editor, now, note: str = "") -> ArticleRevision:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleRevision.objects.create(
        article=article,
        number=last + 1,
        title=article.title,
        body=article.body,
        category_name=article.category.name if article.category_id else "",
        tags=sorted(tag.name for tag in article.tags.all()),
        status=article.status,
        visibility=article.visibility,
        editor=editor,
        note=note[:200],
        created_at=now,
    )


@transaction.atomic
def create_article(
    *,
    actor,
    title: str,
    body: str = "",
    category_id=None,
    tags=None,
    status: str = ArticleStatus.DRAFT,
    visibility: str = Visibility.INTERNAL,
    source_ticket=None,
    note: str = "",
) -> Article:
    _require_manage(actor)
    return _create_article(
        actor=actor,
        title=title,
        body=body,
        category_id=category_id,
        tags=tags,
        status=status,
        visibility=visibility,
        source_ticket=source_ticket,
        note=note,
    )


def _create_article(
    *, actor, title, body, category_id, tags, status, visibility, source_ticket, note
) -> Article:
    now = timezone.now()
    article = Article.objects.create(
        title=_clean_title(title),
        body=_clean_body(body),
        category=_clean_category(category_id),
        status=_clean_choice(status, ArticleStatus, "status"),
        visibility=_clean_choice(visibility, Visibility, "visibility"),
        author=actor,
        source_ticket=source_ticket,
        created_at=now,
        updated_at=now,
        published_at=now if status == ArticleStatus.PUBLISHED else None,
    )
    _set_tags(article, _clean_tags(tags))
    _revise(article, editor=actor, now=now, note=note or _("创建"))
    search.index_article(article)
    return article


@transaction.atomic
def update_article(
    *,
    article_id,
    actor,
    title=_UNSET,
    body=_UNSET,
    category_id=_UNSET,
    tags=_UNSET,
    status=_UNSET,
    visibility=_UNSET,
    note: str = "",
) -> Article:
    """Change any subset of the fields; an edit that changes something adds one revision."""
    _require_manage(actor)
    article = _locked_article(article_id)
    changed = False
    if title is not _UNSET and (title := _clean_title(title)) != article.title:
        article.title, changed = title, True
    if body is not _UNSET and (body := _clean_body(body)) != article.body:
        article.body, changed = body, True
    if category_id is not _UNSET:
        category = _clean_category(category_id)
        if getattr(category, "pk", None) != article.category_id:
            article.category, changed = category, True
    if status is not _UNSET and _clean_choice(status, ArticleStatus, "status") != article.status:
        article.status, changed = status, True
        if status == ArticleStatus.PUBLISHED and article.published_at is None:
            article.published_at = timezone.now()
    if (
        visibility is not _UNSET
        and _clean_choice(visibility, Visibility, "visibility") != article.visibility
    ):
        article.visibility, changed = visibility, True
    if tags is not _UNSET:
        names = _clean_tags(tags)
        if sorted(names) != sorted(tag.name for tag in article.tags.all()):
            _set_tags(article, names)
            changed = True
    if not changed:
        return article
    now = timezone.now()
    article.updated_at = now
    article.save()
    _revise(article, editor=actor, now=now, note=note)
    search.index_article(article)
    return article


def publish_article(*, article_id, actor) -> Article:
    article = update_article(
        article_id=article_id, actor=actor, status=ArticleStatus.PUBLISHED, note=_("发布")
    )
    return article


@transaction.atomic
def delete_article(*, article_id, actor) -> None:
    _require_manage(actor)
    article = _locked_article(article_id)
    # Cascades to revisions, votes and the index row (whose triggers/columns follow).
    article.delete()


@transaction.atomic
def vote_article(*, article_id, actor, helpful) -> Article:
    """One vote per person; voting again changes the vote. Counts stay in step with the votes."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("请先登录"))
    if not isinstance(helpful, bool):
        raise ValidationFailed(_("请选择有用或没用"), errors={"helpful": [_("须为 true 或 false")]})
    article = _locked_article(article_id)
    from andon.knowledge.selectors import can_read_article

    if not can_read_article(actor, article):
        raise NotFound(_("文章不存在"))
    vote = ArticleVote.objects.filter(article=article, user=actor).first()
    if vote is not None and vote.helpful == helpful:
        return article
    if vote is None:
        try:
            with transaction.atomic():
                ArticleVote.objects.create(
                    article=article, user=actor, helpful=helpful, created_at=timezone.now()
                )
        except IntegrityError as exc:  # a concurrent vote by the same person won the race
            raise Conflict(_("请勿重复投票")) from exc
    else:
        vote.helpful = helpful
        vote.save(update_fields=["helpful"])
        old = "not_helpful_count" if helpful else "helpful_count"
        Article.objects.filter(pk=article.pk).update(**{old: F(old) - 1})
    new = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{new: F(new) + 1})
    article.refresh_from_db(fields=["helpful_count", "not_helpful_count"])
    return article


@transaction.atomic
def article_from_ticket(*, ticket_id, actor) -> Article:
    """Turn a resolved ticket into a draft internal article in one step: the problem (title and
    description) and how it was solved (the resolution), linked back to the ticket."""
    from andon.tickets.selectors import get_visible_ticket

    if not (has_perm(actor, "tickets.handle") or has_perm(actor, "knowledge.manage")):
        raise PermissionDenied(_("只有处理人或知识库编辑可以把工单转为文章"))
    ticket = get_visible_ticket(actor, ticket_id)
    from andon.tickets.policies import is_staff_side

    if not (is_staff_side(actor, ticket) or has_perm(actor, "knowledge.manage")):
        raise PermissionDenied(_("只有处理这张工单的人可以把它转为文章"))
    if not (ticket.resolution or "").strip():
        raise Conflict(_("工单还没有解决方案，不能转为文章"))
    body = "\n\n".join(
        [
            "## " + _("问题"),
            ticket.description.strip() or ticket.title,
            "## " + _("解决办法"),
            ticket.resolution.strip(),
            _("来源工单：%s") % ticket.number,
        ]
    )
    entry = ticket.catalog_entry
    tags = [entry.name] if entry and len(entry.name) <= TAG_MAX else []
    return _create_article(
        actor=actor,
        title=ticket.title,
        category_id=None,
        body=body,
        tags=tags,
        status=ArticleStatus.DRAFT,
        visibility=Visibility.INTERNAL,
        source_ticket=ticket,
        note=_("由工单 %s 生成") % ticket.number,
    )


@transaction.atomic
def create_category(*, actor, name: str, description: str = "") -> Category:
    _require_manage(actor)
    name = str(name or "").strip()
    if not name or len(name) > 50:
        message = _("分类名称须为 1 到 50 个字")
        raise ValidationFailed(message, errors={"name": [message]})
    if Category.objects.filter(name=name).exists():
        message = _("分类名称已存在")
        raise ValidationFailed(message, errors={"name": [message]})
    from andon.audit.services import record_audit

    category = Category.objects.create(name=name, description=str(description or "")[:200])
    record_audit(actor=actor, action="create", obj=category, changes={"name": [None, name]})
    return category
