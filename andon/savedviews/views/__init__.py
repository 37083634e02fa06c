"""The web face of saved views: `listing` (what the ticket list page reads) and `pages` (the
save / edit / delete / default endpoints and the live tab counts)."""
