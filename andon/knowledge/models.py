"""Knowledge base (知识库): articles with categories, tags, revisions and votes, and the full-text
index rows for articles and resolved tickets.

The index tables hold the jieba-segmented, space-joined terms. The engine-specific part lives in
migrations: an FTS5 table kept in sync by triggers on SQLite, a generated tsvector column with a
GIN index on PostgreSQL (see 0002_search_engines).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Visibility(models.TextChoices):
    INTERNAL = "internal", _("内部")
    PUBLIC = "public", _("公开")


class Category(models.Model):
    name = models.CharField(_("名称"), max_length=50, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=30, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Article(models.Model):
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True, help_text=_("Markdown"))
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    status = models.CharField(
        max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles"
    )
    source_ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["status", "visibility", "-updated_at"], name="article_status_vis")
        ]

    def __str__(self):
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class ArticleRevision(models.Model):
    """One row per save of an article: what it looked like after that edit, and who made it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    category_name = models.CharField(max_length=50, blank=True)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices)
    visibility = models.CharField(max_length=10, choices=Visibility.choices)
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="article_revision_number")
        ]

    def __str__(self):
        return f"{self.article_id} r{self.number}"


class ArticleVote(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_vote_once_per_user")
        ]

    def __str__(self):
        return f"{self.article_id} {self.user_id} {self.helpful}"


class ArticleSearch(models.Model):
    """The index row of one article (segmented terms and the flags searches filter on)."""

    article = models.OneToOneField(
        Article, primary_key=True, on_delete=models.CASCADE, related_name="search_row"
    )
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)
    is_published = models.BooleanField()
    is_public = models.BooleanField()

    class Meta:
        db_table = "knowledge_article_search"

    def __str__(self):
        return f"article {self.article_id}"


class TicketSearch(models.Model):
    """The index row of one resolved ticket (title, description and resolution)."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="search_row"
    )
    title_terms = models.TextField(blank=True)
    body_terms = models.TextField(blank=True)

    class Meta:
        db_table = "knowledge_ticket_search"

    def __str__(self):
        return f"ticket {self.ticket_id}"
