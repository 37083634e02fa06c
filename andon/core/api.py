"""Pieces every API module shares: id parsing, permission classes, the documented error body and
the JSON 404 for unknown API paths."""

from __future__ import annotations

from django import forms
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# Re-exported: the API's one permission check (andon.core.permissions).
from andon.core.permissions import PermissionByMethod  # noqa: F401
from andon.core.validation import MAX_ID, parse_id  # noqa: F401 - re-exported for the API


class IdField(serializers.IntegerField):
    """An object id in a request body: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFormField(forms.IntegerField):
    """An object id in a query string (django-filter / forms)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API."""

    code = serializers.CharField(help_text="machine-readable code, e.g. invalid, not_found")
    detail = serializers.CharField(help_text="human-readable message")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="per-field messages: {field: [message, ...]}",
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid input (see `errors` for per-field messages)",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found or not visible to the caller",
    409: "The object's current state does not allow this action",
    429: "Too many requests",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }


API_NOT_FOUND_NAME = "api-not-found"


@csrf_exempt
def api_not_found(request, path=""):
    """Unknown API paths answer in the API's JSON error shape instead of an HTML page. A plain
    Django view, so the schema generator never lists it."""
    full_path = request.path
    detail = _("接口不存在：%s") % full_path
    if not full_path.endswith("/"):
        try:
            match = resolve(full_path + "/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != API_NOT_FOUND_NAME:
            detail = _("接口地址须以 / 结尾：%s/") % full_path
    return JsonResponse(
        {"code": "not_found", "detail": str(detail), "errors": {}},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )


# --- references to related objects in response bodies: {id, name} (requests take plain ids) ----


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class QueueRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
