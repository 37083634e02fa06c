"""Inside the WeCom client nobody types a password: an anonymous request for a desk page goes
straight to 网页授权 and comes back signed in, on the page it asked for."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect, resolve_url

from andon.wecom import signin

# Not desk pages: machine endpoints, the sign-in flow itself, files, and the requester portal
# (external contacts sign in there with their own links).
EXEMPT_PREFIXES = ("/api/", "/wecom/", "/static/", "/media/", "/portal/", "/i18n/", "/favicon")


def in_wecom_client(request) -> bool:
    return "wxwork" in request.headers.get("User-Agent", "").lower()


class WeComSignInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("GET", "HEAD")
            and in_wecom_client(request)
            and not request.user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            login_path = resolve_url(settings.LOGIN_URL)
            on_login_page = request.path == login_path
            # ?password=1 on the login page keeps the password form (admins, break-glass).
            if not (on_login_page and request.GET.get("password")) and signin.available():
                wanted = request.GET.get("next") if on_login_page else request.get_full_path()
                next_url = signin.safe_next(request, wanted)
                return redirect(signin.authorize_url(request, next_url=next_url))
        return self.get_response(request)
