"""Pieces every API module shares: id parsing, permission classes, the documented error body and
the JSON 404 for unknown API paths."""

from __future__ import annotations

import json

from django import forms
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
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


@extend_schema_field(
    {"type": "string", "description": "an e-mail address; empty when none is known"}
)
class EmailOrBlankField(serializers.CharField):
    """An e-mail address in a response. Many people and contacts have none (""), which the
    OpenAPI `email` format would call invalid."""


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


# --- GET → edit → PUT -------------------------------------------------------------------------


def _field_names(spec) -> set[str]:
    if isinstance(spec, type) and issubclass(spec, serializers.BaseSerializer):
        spec = spec()
    if isinstance(spec, serializers.Serializer):
        return set(spec.fields)
    return set(spec)


def _reference_fields(spec) -> set[str]:
    """Fields of a write serializer that take ids (IdField, or a list of them)."""
    if isinstance(spec, type) and issubclass(spec, serializers.BaseSerializer):
        spec = spec()
    if not isinstance(spec, serializers.Serializer):
        return set()
    return {
        name
        for name, field in spec.fields.items()
        if isinstance(field, IdField)
        or (isinstance(field, serializers.ListField) and isinstance(field.child, IdField))
    }


def _as_id(value):
    return value["id"] if isinstance(value, dict) and "id" in value else value


def _plain(value):
    """A representation as it travels as JSON (what a client sends back)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def editable_body(data, *, write, read, references=(), current=None) -> dict:
    """The body of a PATCH or PUT, so that what GET answered can be edited and sent back as is:
    the fields `write` takes are kept; fields that only `read` has (id, timestamps, counts,
    labels) are dropped — but when `current` (today's GET representation) is given, a read-only
    field sent back *changed* is refused, so an edit of, say, the status is never silently lost;
    anything else is refused with its name, so a typo is never silently ignored. Where an id is
    expected, the reference object GET shows ({"id": 3, "name": …}) is taken as its id.
    `write`/`read` are serializers or field names; `references` names further id fields when
    `write` is given as names."""
    from andon.core.errors import ValidationFailed

    if not hasattr(data, "keys"):
        message = _("请求体应为 JSON 对象")
        raise ValidationFailed(message, errors={"non_field_errors": [message]})
    writable, readable = _field_names(write), _field_names(read)
    unknown = sorted(set(data.keys()) - writable - readable)
    if unknown:
        message = _("不支持的字段：%s") % "、".join(unknown)
        raise ValidationFailed(message, errors={key: [_("不支持的字段")] for key in unknown})
    if current is not None:
        now = _plain(dict(current))
        changed = sorted(
            key
            for key in data
            if key not in writable and key in now and _plain(data[key]) != now[key]
        )
        if changed:
            message = _("只读字段不能在这里修改：%s") % "、".join(changed)
            raise ValidationFailed(message, errors={key: [_("只读字段")] for key in changed})
    refs = _reference_fields(write) | set(references)
    body = {}
    for key in data:
        if key not in writable:
            continue
        value = data[key]
        if key in refs:
            value = [_as_id(v) for v in value] if isinstance(value, list) else _as_id(value)
        body[key] = value
    return body
