"""The work a person owns, seen from accounts. Deactivating someone must hand their unfinished
work to a successor first, but that work (tickets) lives in an app above accounts (DESIGN.md §4
"Layers"), so it registers here from its `AppConfig.ready()` — tickets does
(`andon.tickets.ownership`). A port: accounts imports none of the apps that register."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkOwner:
    name: str
    count: Callable  # count(user) -> int: unfinished items the person owns
    hand_over: Callable  # hand_over(*, actor, user, successor, note) -> int: items handed over


_owners: list[WorkOwner] = []


def register_work(name: str, *, count: Callable, hand_over: Callable) -> None:
    """Register (or replace, by name) a kind of work people own."""
    _owners[:] = [o for o in _owners if o.name != name]
    _owners.append(WorkOwner(name, count, hand_over))


def unfinished_count(user) -> int:
    """What a deactivation must hand over first."""
    return sum(owner.count(user) for owner in _owners)


def hand_over(*, actor, user, successor, note: str) -> int:
    """Hand everything the person owns to `successor`, in the caller's transaction."""
    return sum(
        owner.hand_over(actor=actor, user=user, successor=successor, note=note) for owner in _owners
    )
