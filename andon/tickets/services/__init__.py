"""Every write to a ticket. Each public function validates, changes the ticket, records exactly one
`TicketEvent` per change and writes the notifications, all in one transaction.

The functions live by lifecycle area; this package is their one public face."""

from andon.tickets.events import record_event
from andon.tickets.services.attachments import add_attachment
from andon.tickets.services.collaboration import (
    add_carbon_copy,
    add_collaborator,
    leave_ticket,
    remove_carbon_copy,
    remove_collaborator,
    take_over_ticket,
    unwatch_ticket,
    watch_ticket,
)
from andon.tickets.services.editing import update_ticket
from andon.tickets.services.filing import (
    BODY_MAX,
    TITLE_MAX,
    create_ticket,
    validate_catalog_entry,
)
from andon.tickets.services.handling import (
    add_comment,
    claim_ticket,
    reassign_ticket,
    transfer_ticket,
    urge_ticket,
)
from andon.tickets.services.lifecycle import (
    auto_close_ticket,
    auto_confirm_ticket,
    cancel_ticket,
    close_ticket,
    confirm_ticket,
    reopen_ticket,
    request_info,
    resolve_ticket,
    resume_ticket,
)

__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "add_attachment",
    "add_carbon_copy",
    "add_collaborator",
    "leave_ticket",
    "remove_carbon_copy",
    "remove_collaborator",
    "take_over_ticket",
    "unwatch_ticket",
    "watch_ticket",
    "add_comment",
    "auto_close_ticket",
    "auto_confirm_ticket",
    "cancel_ticket",
    "claim_ticket",
    "close_ticket",
    "confirm_ticket",
    "create_ticket",
    "reassign_ticket",
    "record_event",
    "reopen_ticket",
    "request_info",
    "resolve_ticket",
    "resume_ticket",
    "transfer_ticket",
    "update_ticket",
    "urge_ticket",
    "validate_catalog_entry",
]
