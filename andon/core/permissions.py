"""How every permission check reads the HTTP method.

One policy for pages and the API, so no view can forget a method:
- HEAD is GET without a body: it passes or fails exactly where GET does (the middleware turns it
  into GET before any view or permission class sees it, and drops the body afterwards).
- OPTIONS is explicit: pages and the schema do not serve it (405); the API answers it only to a
  caller who may use at least one of the endpoint's methods, and lists those methods.
- Any other method an endpoint does not serve is refused (405) before the view runs.
"""

from __future__ import annotations

from django.http import HttpResponseNotAllowed
from django.utils.translation import gettext as _
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.metadata import BaseMetadata
from rest_framework.permissions import BasePermission

from andon.accounts.permissions import has_perm

# Methods a view may serve; anything else (TRACE, CONNECT, WebDAV verbs …) is refused outright.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# The REST API answers OPTIONS; everything else (pages, the schema and its HTML docs) does not.
API_PREFIX = "/api/v1/"


def as_checked(method: str) -> str:
    """The method a permission check compares: HEAD is GET."""
    method = (method or "").upper()
    return "GET" if method == "HEAD" else method


def served_methods(view) -> list[str]:
    """The methods a DRF view really handles (HEAD and OPTIONS aside)."""
    return [m for m in view.allowed_methods if m not in ("HEAD", "OPTIONS")]


class MethodPolicyMiddleware:
    """HEAD becomes GET for everything downstream (views, decorators, permission classes), so a
    check written for GET can never be skipped by asking HEAD; pages refuse OPTIONS and unknown
    methods. The API's OPTIONS goes on to `PermissionByMethod`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        method = request.method.upper()
        if method not in KNOWN_METHODS or (
            method == "OPTIONS" and not request.path.startswith(API_PREFIX)
        ):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        if method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        request.META["REQUEST_METHOD"] = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
            request.META["REQUEST_METHOD"] = "HEAD"
        if response.streaming:
            response.streaming_content = []
        else:
            length = len(response.content)
            response.content = b""
            response.headers.setdefault("Content-Length", str(length))
        return response


class PermissionByMethod(BasePermission):
    """Signed-in callers (401 otherwise); a method listed in the view's `required_perms`
    ({"POST": "queues.manage"}) also needs that bit. HEAD is checked as GET; OPTIONS passes when
    the caller may use at least one method the view serves; a method it does not serve is 405."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        method = as_checked(request.method)
        served = served_methods(view)
        if method == "OPTIONS":
            if any(self.may_use(request, view, m) for m in served):
                return True
            self.message = _("没有权限使用此接口")
            return False
        if method not in served:
            raise MethodNotAllowed(request.method)
        if self.may_use(request, view, method):
            return True
        code = getattr(view, "required_perms", {}).get(method)
        self.message = _("没有权限：%s") % code if code else _("没有权限使用此接口")
        return False

    def may_use(self, request, view, method: str) -> bool:
        """Whether the (signed-in) caller holds what `method` needs on this view; subclasses add
        rules of their own (see customers.api)."""
        code = getattr(view, "required_perms", {}).get(method)
        return code is None or has_perm(request.user, code)


class CallerMethodsMetadata(BaseMetadata):
    """OPTIONS answers with the endpoint's name and the methods this caller may use — no field
    descriptions or choices (the OpenAPI schema documents bodies, behind a sign-in)."""

    def determine_metadata(self, request, view):
        permission = next(
            (p for p in view.get_permissions() if isinstance(p, PermissionByMethod)), None
        )
        methods = [
            m
            for m in served_methods(view)
            if permission is None or permission.may_use(request, view, m)
        ]
        if "GET" in methods:
            methods.append("HEAD")
        return {"name": view.get_view_name(), "methods": [*methods, "OPTIONS"]}
