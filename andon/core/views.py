"""Pages that belong to no domain: the home redirect, error pages, and the htmx helpers the
other views share."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


def is_htmx(request) -> bool:
    """True for requests made by htmx (it sends `HX-Request: true`)."""
    return request.headers.get("HX-Request") == "true"


def htmx_target(request) -> str:
    return request.headers.get("HX-Target", "") if is_htmx(request) else ""


@login_required
def home(request):
    return redirect("tickets:list")
