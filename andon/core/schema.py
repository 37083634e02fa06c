"""OpenAPI post-processing: what every operation of a kind answers, stated once."""

from __future__ import annotations

PAGE_PARAMETERS = {"page", "page_size", "cursor"}


def document_page_errors(result, generator, request, public):
    """Every paginated list refuses a bad page number, page size or cursor with 400 and the
    error body; views need not list it one by one."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            names = {
                p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"
            }
            if names & PAGE_PARAMETERS and "400" not in operation["responses"]:
                operation["responses"]["400"] = {
                    "description": "Invalid page, page size or cursor.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
    return result
