"""The full-text row of every ticket (open or not), for the ticket list's search box and the
search API. Smart support keeps its own index of resolved tickets in the knowledge app.

Text a requester may read (title, description, public comments, resolution, text custom fields)
and text only the staff side may read (internal comments) are kept in separate columns, so a
requester can never match on an internal comment. The engine-specific part (FTS5 on SQLite, two
generated tsvectors with GIN indexes on PostgreSQL) lives in migration 0002.
"""

from django.db import models


class TicketDocument(models.Model):
    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="document"
    )
    title_terms = models.TextField(blank=True)
    public_terms = models.TextField(blank=True)
    internal_terms = models.TextField(blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        db_table = "ticketsearch_document"

    def __str__(self):
        return f"ticket {self.ticket_id}"
