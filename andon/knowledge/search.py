"""The one search interface over the knowledge base and resolved tickets.

    search_articles(user_or_none, q, *, public_only=False, limit=10) -> list[Hit]
    search_tickets(user, q, *, limit=5, exclude_ticket_id=None) -> list[Hit]

Text is segmented with jieba (`andon.knowledge.text`); the engine is SQLite FTS5 ranked by bm25 or
PostgreSQL full-text (GIN) ranked by ts_rank_cd, chosen by the database vendor. Every hit carries
its score, the query terms it matched (the "why"), the share of query terms it covers and an
escaped snippet with <mark> around the matches.

Articles are indexed by `index_article` in the transaction that saves them. Tickets are indexed
by `on_ticket_event`, an after-commit subscriber of the ticket event pipeline
(`andon.tickets.events`): it runs in the worker, at least once, and writes what the ticket says
now, so a repeat or a late run is harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from andon.accounts.permissions import has_perm
from andon.knowledge.models import (
    Article,
    ArticleSearch,
    ArticleStatus,
    TicketSearch,
    Visibility,
)
from andon.knowledge.text import index_text, query_terms
from andon.tickets.models import EventKind, Status, Ticket

RESOLVED_STATUSES = (Status.TO_CONFIRM, Status.DONE, Status.CLOSED)
# Events after which a ticket's index row may have to appear, change or disappear.
INDEXED_EVENT_KINDS = frozenset(
    {
        EventKind.RESOLVED,
        EventKind.CONFIRMED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.CANCELLED,
        EventKind.UPDATED,
    }
)


@dataclass
class Hit:
    kind: str  # "article" or "ticket"
    id: int
    title: str
    url: str
    score: float
    coverage: float  # share of the query's terms this hit contains (0..1)
    matched_terms: list[str]
    title_html: SafeString
    snippet: SafeString
    obj: Any = field(repr=False, default=None)
    resolution: SafeString | None = None  # tickets: how it was resolved, highlighted

    @property
    def label(self) -> str:
        return self.obj.number if self.kind == "ticket" else self.title


# --- indexing -------------------------------------------------------------------------------


def index_article(article: Article) -> None:
    """Write the article's index row (call inside the transaction that saved the article)."""
    tags = " ".join(tag.name for tag in article.tags.all()) if article.pk else ""
    category = article.category.name if article.category_id else ""
    ArticleSearch.objects.update_or_create(
        article_id=article.pk,
        defaults={
            "title_terms": index_text(article.title),
            "body_terms": index_text(f"{tags}\n{category}\n{article.body}"),
            "is_published": article.status == ArticleStatus.PUBLISHED,
            "is_public": article.visibility == Visibility.PUBLIC,
        },
    )


def index_ticket(ticket: Ticket) -> None:
    """Index a resolved ticket (title, description, resolution); drop it from the index when it is
    no longer resolved (reopened, cancelled) or has no resolution."""
    if ticket.status in RESOLVED_STATUSES and (ticket.resolution or "").strip():
        TicketSearch.objects.update_or_create(
            ticket_id=ticket.pk,
            defaults={
                "title_terms": index_text(ticket.title),
                "body_terms": index_text(f"{ticket.description}\n{ticket.resolution}"),
            },
        )
    else:
        TicketSearch.objects.filter(ticket_id=ticket.pk).delete()


def on_ticket_event(*, ticket: Ticket, event) -> None:
    """After commit, from the worker, for the ticket's pending events (see KnowledgeConfig)."""
    if event.kind in INDEXED_EVENT_KINDS:
        index_ticket(ticket)


# --- the engines ----------------------------------------------------------------------------


@dataclass
class _Row:
    id: int
    score: float
    terms: set[str]


def _match_expression(terms: list[str], vendor: str, *, every: bool) -> str:
    # Terms are runs of [0-9a-z] and CJK only (see text._TERM), so quoting needs no escaping.
    if vendor == "postgresql":
        return (" & " if every else " | ").join(f"'{t}'" for t in terms)
    return (" AND " if every else " OR ").join(f'"{t}"' for t in terms)


def _ranked(table: str, key: str, terms: list[str], *, where: str, params: list, limit: int):
    vendor = connection.vendor
    rows: list[_Row] = []
    # Documents holding every term first (cheap and precise); widen to any term when too few.
    for every in (True, False) if len(terms) > 1 else (False,):
        expression = _match_expression(terms, vendor, every=every)
        if vendor == "postgresql":
            cap = int(getattr(settings, "ANDON_SEARCH_MAX_CANDIDATES", 1000))
            # Rank a bounded set of candidates, then read the terms of the top few only.
            sql = (
                f"SELECT r.{key}, r.score, s.title_terms, s.body_terms FROM ("
                f"SELECT c.{key}, ts_rank_cd(c.tsv, %s::tsquery, 1) AS score FROM ("
                f"SELECT s.{key}, s.tsv FROM {table} s WHERE s.tsv @@ %s::tsquery {where} "
                f"LIMIT %s) c ORDER BY score DESC, c.{key} DESC LIMIT %s) r "
                f"JOIN {table} s ON s.{key} = r.{key} ORDER BY r.score DESC, r.{key} DESC"
            )
            args = [expression, expression, *params, cap, limit]
        elif vendor == "sqlite":
            fts = f"{table}_fts"
            sql = (
                f"SELECT s.{key}, -bm25({fts}, 4.0, 1.0) AS score, s.title_terms, s.body_terms "
                f"FROM {fts} JOIN {table} s ON s.{key} = {fts}.rowid "
                f"WHERE {fts} MATCH %s {where} ORDER BY bm25({fts}, 4.0, 1.0), s.{key} DESC "
                f"LIMIT %s"
            )
            args = [expression, *params, limit]
        else:  # pragma: no cover - only the two supported databases
            raise NotImplementedError(vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            rows = [
                _Row(id=r[0], score=float(r[1]), terms=set(f"{r[2]} {r[3]}".split()))
                for r in cursor.fetchall()
            ]
        if len(rows) >= limit:
            break
    return rows


# --- highlighting ---------------------------------------------------------------------------

_MARKDOWN_NOISE = re.compile(r"(```.*?```|!\[[^\]]*\]\([^)]*\)|[#>*_`|~]+|\[|\]\([^)]*\))", re.S)
_SPACES = re.compile(r"\s+")


def plain_text(markdown_text: str) -> str:
    return _SPACES.sub(" ", _MARKDOWN_NOISE.sub(" ", markdown_text or "")).strip()


def _spans(text: str, terms) -> list[tuple[int, int]]:
    if not terms:
        return []
    # Longest first, so "会议室" wins over "会议" where both match.
    pattern = re.compile(
        "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE
    )
    return [m.span() for m in pattern.finditer(text)]


def highlight(text: str, terms, *, width: int | None = None) -> SafeString:
    """Escaped `text` (cut to a window of `width` characters around the densest matches when
    given) with <mark> around every occurrence of the terms."""
    text = text or ""
    spans = _spans(text, terms)
    start, end = 0, len(text)
    if width is not None and len(text) > width:
        best, best_start = -1, 0
        for span_start, _ in spans or [(0, 0)]:
            candidate = max(0, span_start - width // 5)
            inside = {
                text[a:b].lower() for a, b in spans if candidate <= a and b <= candidate + width
            }
            if len(inside) > best:
                best, best_start = len(inside), candidate
        start, end = best_start, min(len(text), best_start + width)
    pieces, cursor = [], start
    for a, b in spans:
        if a < cursor or b > end:
            continue
        pieces.append(escape(text[cursor:a]))
        pieces.append(f"<mark>{escape(text[a:b])}</mark>")
        cursor = b
    pieces.append(escape(text[cursor:end]))
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + "".join(pieces) + suffix)  # noqa: S308 - every piece escaped


# --- the public interface -------------------------------------------------------------------


def can_read_internal(user) -> bool:
    return has_perm(user, "knowledge.view") or has_perm(user, "knowledge.manage")


def article_url(article_id: int) -> str:
    return reverse("knowledge:article", args=[article_id])


def search_articles(
    user_or_none, q: str, *, public_only: bool = False, limit: int = 10, snippet_width: int = 120
) -> list[Hit]:
    """Published articles matching `q`, best first. Internal articles only for readers with
    knowledge.view and never when `public_only` (the portal); drafts are never found."""
    terms = query_terms(q)
    limit = max(1, min(int(limit), 100))
    if not terms:
        return []
    where = "AND s.is_published = %s"
    params: list = [True]
    if public_only or not can_read_internal(user_or_none):
        where += " AND s.is_public = %s"
        params.append(True)
    rows = _ranked(
        "knowledge_article_search", "article_id", terms, where=where, params=params, limit=limit
    )
    articles = Article.objects.select_related("category").in_bulk([r.id for r in rows])
    hits = []
    for row in rows:
        article = articles.get(row.id)
        if article is None:
            continue
        matched = [t for t in terms if t in row.terms]
        hits.append(
            Hit(
                kind="article",
                id=article.pk,
                title=article.title,
                url=article_url(article.pk),
                score=row.score,
                coverage=len(matched) / len(terms),
                matched_terms=matched,
                title_html=highlight(article.title, matched),
                snippet=highlight(plain_text(article.body), matched, width=snippet_width),
                obj=article,
            )
        )
    return hits


def _sees_all_tickets(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def search_tickets(
    user,
    q: str,
    *,
    limit: int = 5,
    exclude_ticket_id: int | None = None,
    snippet_width: int = 120,
) -> list[Hit]:
    """Resolved tickets the user may see that match `q`, best first, each with how it was
    resolved."""
    from andon.tickets.selectors import visible_tickets

    terms = query_terms(q)
    limit = max(1, min(int(limit), 100))
    if not terms or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    where, params = "", []
    if exclude_ticket_id:
        where += " AND s.ticket_id <> %s"
        params.append(exclude_ticket_id)
    if not _sees_all_tickets(user):
        sub_sql, sub_params = visible_tickets(user).order_by().values("pk").query.sql_with_params()
        where += f" AND s.ticket_id IN ({sub_sql})"
        params.extend(sub_params)
    rows = _ranked(
        "knowledge_ticket_search", "ticket_id", terms, where=where, params=params, limit=limit
    )
    tickets = Ticket.objects.select_related("catalog_entry", "catalog_entry__parent").in_bulk(
        [r.id for r in rows]
    )
    hits = []
    for row in rows:
        ticket = tickets.get(row.id)
        if ticket is None:
            continue
        matched = [t for t in terms if t in row.terms]
        hits.append(
            Hit(
                kind="ticket",
                id=ticket.pk,
                title=ticket.title,
                url=reverse("tickets:detail", args=[ticket.pk]),
                score=row.score,
                coverage=len(matched) / len(terms),
                matched_terms=matched,
                title_html=highlight(ticket.title, matched),
                snippet=highlight(plain_text(ticket.description), matched, width=snippet_width),
                resolution=highlight(
                    plain_text(ticket.resolution), matched, width=snippet_width * 2
                ),
                obj=ticket,
            )
        )
    return hits


def similar_resolved_ticket_ids(q: str, *, limit: int = 20) -> list[tuple[int, float]]:
    """(ticket id, score) of the resolved tickets most like `q`, over all tickets. Only for
    aggregate use (the suggested catalog entry); it never exposes the tickets themselves."""
    terms = query_terms(q)
    if not terms:
        return []
    rows = _ranked("knowledge_ticket_search", "ticket_id", terms, where="", params=[], limit=limit)
    return [(row.id, row.score) for row in rows]
