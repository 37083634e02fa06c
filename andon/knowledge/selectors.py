"""Reads of the knowledge base, permission-scoped.

knowledge.view reads published articles, internal and public; knowledge.manage also reads drafts;
everyone else (the portal, anonymous callers) reads published public articles only.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from andon.accounts.permissions import has_perm
from andon.knowledge.models import Article, ArticleStatus, Category, Visibility


def can_manage(user) -> bool:
    return has_perm(user, "knowledge.manage")


def visible_articles(user_or_none, *, public_only: bool = False) -> QuerySet[Article]:
    qs = Article.objects.all()
    if can_manage(user_or_none) and not public_only:
        return qs
    qs = qs.filter(status=ArticleStatus.PUBLISHED)
    if public_only or not has_perm(user_or_none, "knowledge.view"):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return qs


def can_read_article(user_or_none, article: Article, *, public_only: bool = False) -> bool:
    if can_manage(user_or_none) and not public_only:
        return True
    if article.status != ArticleStatus.PUBLISHED:
        return False
    if public_only or not has_perm(user_or_none, "knowledge.view"):
        return article.visibility == Visibility.PUBLIC
    return True


def with_list_relations(qs: QuerySet[Article]) -> QuerySet[Article]:
    return qs.select_related("category", "author").prefetch_related("tags")


def article_list(
    user_or_none,
    *,
    public_only: bool = False,
    category_id=None,
    tag: str = "",
    status: str = "",
    visibility: str = "",
) -> QuerySet[Article]:
    qs = with_list_relations(visible_articles(user_or_none, public_only=public_only))
    if category_id:
        qs = qs.filter(category_id=category_id)
    if tag:
        qs = qs.filter(tags__name=tag)
    if status:
        qs = qs.filter(status=status)
    if visibility:
        qs = qs.filter(visibility=visibility)
    return qs.distinct() if tag else qs


def get_visible_article(user_or_none, article_id, *, public_only: bool = False) -> Article | None:
    return (
        with_list_relations(visible_articles(user_or_none, public_only=public_only))
        .filter(pk=article_id)
        .first()
    )


def user_vote(user, article: Article) -> bool | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return article.votes.filter(user=user).values_list("helpful", flat=True).first()


def categories_with_counts(user_or_none) -> list[Category]:
    from django.db.models import Count

    visible = visible_articles(user_or_none)
    return list(
        Category.objects.annotate(article_count=Count("articles", filter=Q(articles__in=visible)))
    )
