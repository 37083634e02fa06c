"""Input of the catalog configuration page. The page posts small forms (one per action); these
helpers only turn the posted text into the types the services take — the rules live in
`catalog.services`."""

from __future__ import annotations


def posted_id(data, key: str) -> int | None:
    """A positive id from a posted field; None when absent or not a number."""
    text = str(data.get(key, "") or "").strip()
    if text.isdigit() and 0 < len(text) <= 18 and int(text) > 0:
        return int(text)
    return None


def posted_queue(data) -> int | None | str:
    """The chosen queue id, None when nothing was chosen, or the raw text when it is not an id
    (the service then reports it as an unknown queue)."""
    text = str(data.get("queue", "") or "").strip()
    if not text:
        return None
    return posted_id(data, "queue") or text
