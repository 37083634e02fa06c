"""Who owns the org chart. By default Andon does (people and departments are edited on the
config pages); an integration that syncs the chart from elsewhere — WeCom — registers an owner
here, and while it answers with a reason the chart pages are read-only and show that reason.
(A port: accounts sits below the channels and cannot import them.)"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from andon.core.errors import Conflict

_owners: list[Callable[[], str]] = []

# What the external owner sets on a person; Andon keeps roles, availability and contact details.
CHART_FIELDS = ("username", "display_name", "wecom_userid", "main_department", "direct_leaders")


def register_chart_owner(reason: Callable[[], str]) -> None:
    if reason not in _owners:
        _owners.append(reason)


def chart_lock_reason() -> str:
    """Why the chart cannot be edited here, or "" when Andon owns it."""
    for reason in _owners:
        text = reason()
        if text:
            return text
    return ""


def refuse_chart_change(fields: Iterable[str] | None = None) -> None:
    """For the API and imports: a 409 `chart_owned_elsewhere` with the owner's reason while an
    integration owns the chart. `fields` are the chart fields a request tries to set (each gets
    the reason as its error; none set, nothing refused); without `fields` the request as a whole
    changes the chart."""
    fields = None if fields is None else list(fields)
    if fields == []:
        return
    reason = chart_lock_reason()
    if reason:
        raise Conflict(
            reason, code="chart_owned_elsewhere", errors={field: [reason] for field in fields or ()}
        )
