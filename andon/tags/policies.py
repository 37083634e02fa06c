"""Who may change a ticket's tags: the people who may handle it (its assignee, the members of its
queue and ticket managers), the same circle that writes internal comments."""

from andon.tickets import policies


def may_tag(user, ticket) -> bool:
    return bool(getattr(user, "is_active", False)) and policies.is_handling_side(user, ticket)
