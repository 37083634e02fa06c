"""Full-text search over tickets with the knowledge base's engine (jieba terms; SQLite FTS5 or
PostgreSQL GIN), for the ticket list's search box (`TicketFilter.q`) and the search API.

    match_condition(user, text) -> Q | None      tickets whose text holds every query term
    highlights(user, tickets, text) -> {pk: Highlight}

The condition is a subquery on the index, so it composes with `visible_tickets(user)`, the
other list filters, keyset pages and counts. Internal comments count only where `user` is on the
ticket's staff side (`policies.is_staff_side`): elsewhere the public columns alone must match.
Every highlight is escaped first and only then marked (`knowledge.search.highlight`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from andon.accounts.permissions import has_perm
from andon.knowledge.search import highlight, plain_text
from andon.knowledge.text import query_terms
from andon.queues.selectors import member_queue_ids
from andon.tickets import policies
from andon.tickets.models import Comment, Ticket

SNIPPET_WIDTH = 120
PUBLIC_COLUMNS = "{title_terms public_terms}"


def _expression(terms: list[str], vendor: str) -> str:
    # Terms are runs of [0-9a-z] and CJK only (knowledge.text._TERM): quoting needs no escaping.
    if vendor == "postgresql":
        return " & ".join(f"'{t}'" for t in terms)
    return " AND ".join(f'"{t}"' for t in terms)


def _matching_ids(terms: list[str], *, internal: bool) -> RawSQL:
    vendor = connection.vendor
    expression = _expression(terms, vendor)
    if vendor == "postgresql":
        column = "tsv_all" if internal else "tsv_public"
        sql = f"SELECT ticket_id FROM ticketsearch_document WHERE {column} @@ %s::tsquery"  # noqa: S608
        return RawSQL(sql, [expression])
    if vendor == "sqlite":
        if not internal:
            expression = f"{PUBLIC_COLUMNS} : ({expression})"
        sql = "SELECT rowid FROM ticketsearch_document_fts WHERE ticketsearch_document_fts MATCH %s"
        return RawSQL(sql, [expression])
    raise NotImplementedError(vendor)  # pragma: no cover - only the two supported databases


def _staff_everywhere(user) -> bool:
    return has_perm(user, "tickets.view_all") or has_perm(user, "tickets.manage")


def staff_scope(user) -> Q:
    """The tickets on whose staff side `user` is, as a condition (`policies.is_staff_side`)."""
    scope = Q(assignee_id=user.pk)
    queue_ids = member_queue_ids(user)
    if queue_ids:
        scope |= Q(queue_id__in=queue_ids)
    return scope


def match_condition(user, text: str) -> Q | None:
    """None when the text holds no searchable term (the caller decides what that means)."""
    terms = query_terms(text)
    if not terms or not getattr(user, "is_authenticated", False):
        return None
    everything = Q(pk__in=_matching_ids(terms, internal=True))
    if _staff_everywhere(user):
        return everything
    return Q(pk__in=_matching_ids(terms, internal=False)) | (everything & staff_scope(user))


@dataclass
class Highlight:
    title: SafeString
    snippet: SafeString | None
    where: str  # what the snippet comes from, e.g. 评论


def _contains(text: str, terms: list[str]) -> bool:
    lowered = (text or "").lower()
    return any(term in lowered for term in terms)


def highlights(user, tickets: list[Ticket], text: str) -> dict[int, Highlight]:
    """Title and one snippet per ticket, from the first place the terms occur: the description,
    the resolution, a comment `user` may read, or a text custom field. One query for comments."""
    terms = query_terms(text)
    if not terms or not tickets:
        return {}
    staff = {t.pk for t in tickets if policies.is_staff_side(user, t)}
    comments: dict[int, list[Comment]] = {}
    rows = Comment.objects.filter(ticket_id__in=[t.pk for t in tickets]).only(
        "ticket_id", "body", "is_internal"
    )
    for comment in rows.order_by("id"):
        if comment.is_internal and comment.ticket_id not in staff:
            continue
        comments.setdefault(comment.ticket_id, []).append(comment)
    result = {}
    for ticket in tickets:
        places = [
            (_("描述"), plain_text(ticket.description)),
            (_("解决方案"), plain_text(ticket.resolution)),
            *(
                (_("内部评论") if c.is_internal else _("评论"), plain_text(c.body))
                for c in comments.get(ticket.pk, [])
            ),
            *(
                (_("自定义字段"), value)
                for value in (ticket.custom_fields or {}).values()
                if isinstance(value, str)
            ),
        ]
        where, source = next(((w, s) for w, s in places if _contains(s, terms)), ("", ""))
        result[ticket.pk] = Highlight(
            title=highlight(ticket.title, terms),
            snippet=highlight(source, terms, width=SNIPPET_WIDTH) if source else None,
            where=str(where),
        )
    return result


def attach_search_hits(user, tickets: list, text: str) -> None:
    """Give each listed ticket `search_hit` (the escaped, marked title and snippet) when the list
    is filtered by words; None otherwise."""
    hits = highlights(user, tickets, text) if text.strip() else {}
    for ticket in tickets:
        ticket.search_hit = hits.get(ticket.pk)
