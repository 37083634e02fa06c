"""The answer to a locked-out sign-in (django-axes): 429 with Retry-After, as a page for the
browser and as the API's error body for token requests."""

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext as _

from andon.core.throttling import too_many_requests


def locked_out(request, original_response=None, credentials=None, *args, **kwargs):
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    message = _("登录失败次数过多，该账号或地址已暂时锁定，请 %(minutes)s 分钟后再试") % {
        "minutes": max(1, seconds // 60)
    }
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "too_many_attempts", "detail": message, "errors": {}},
            status=429,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = too_many_requests(request, seconds, message)
    response["Retry-After"] = str(seconds)
    return response
