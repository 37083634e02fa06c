from django.http import JsonResponse
from django.shortcuts import redirect

# Set in the session when an external contact signs in with a magic link.
PORTAL_SESSION_KEY = "andon_portal_contact"
# The assistant's stream answers portal sessions too (public articles only).
ALLOWED_PREFIXES = (
    "/portal/",
    "/csat/r/",  # the signed rating link in e-mails (andon.csat)
    "/static/",
    "/i18n/",
    "/accounts/logout/",
    "/knowledge/assistant/stream/",
)


class PortalFenceMiddleware:
    """External contacts signed in through the portal stay in the portal: desk pages redirect
    there and the API refuses them. Their own tickets are all they could see elsewhere, but the
    desk's pages and endpoints are not made for them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(PORTAL_SESSION_KEY) and not request.path.startswith(
            ALLOWED_PREFIXES
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "permission_denied",
                        "detail": "服务门户账号不能使用 API",
                        "errors": {},
                    },
                    status=403,
                )
            return redirect("portal:index")
        return self.get_response(request)
