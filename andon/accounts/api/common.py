"""What every accounts endpoint shares: the request body reduced to a service's fields, and ids
from the path."""

from __future__ import annotations

from django.utils.translation import gettext as _

from andon.core.api import editable_body, parse_id
from andon.core.errors import NotFound, ValidationFailed


def body(request, fields, *, read=None, current=None, references=()) -> dict:
    """The request's JSON object, reduced to the fields a service accepts; the service
    validates every value. Anything but an object is a 400. With `read` (a detail view's
    PATCH/PUT) the GET representation may come back as is (andon.core.api.editable_body)."""
    if read is not None:
        return editable_body(
            request.data, write=fields, read=read, current=current, references=references
        )
    data = request.data
    if not hasattr(data, "keys"):
        raise ValidationFailed(
            _("请求体应为 JSON 对象"), errors={"non_field_errors": [_("请求体应为 JSON 对象")]}
        )
    unknown = sorted(set(data.keys()) - set(fields))
    if unknown:
        message = _("不支持的字段：%s") % "、".join(unknown)
        raise ValidationFailed(message, errors={key: [_("不支持的字段")] for key in unknown})
    return {key: data[key] for key in fields if key in data}


def path_id(value, message) -> int:
    pk = parse_id(value)
    if pk is None:
        raise NotFound(message)
    return pk
