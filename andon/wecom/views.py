"""The WeCom callback endpoint (接收消息与事件) and the sign-in pages.

The callback is authenticated by the message signature, not by a session, so it is the one
CSRF-exempt view. Every verification failure answers with a short text (403 or 400), never a
500; a timestamp further than WECOM_CALLBACK_MAX_SKEW_SECONDS from our clock is refused, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from andon.wecom import jssdk, services, signin
from andon.wecom.crypto import callback_crypto, parse_xml
from andon.wecom.errors import WeComCallbackError, WeComNotConfigured

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


def _params(request: HttpRequest, *names: str) -> list[str]:
    values = [request.GET.get(name, "") for name in names]
    missing = [name for name, value in zip(names, values, strict=True) if not value]
    if missing:
        raise WeComCallbackError(f"missing query parameter: {', '.join(missing)}")
    return values


def _check_timestamp(timestamp: str) -> None:
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        raise WeComCallbackError("timestamp is not a number") from None
    if skew > settings.WECOM_CALLBACK_MAX_SKEW_SECONDS:
        error = WeComCallbackError(f"stale timestamp ({int(skew)} s from our clock)")
        error.status = 403
        raise error


@csrf_exempt
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest) -> HttpResponse:
    """GET: URL verification (echo the decrypted echostr). POST: record a message or event."""
    try:
        crypto = callback_crypto()
    except WeComNotConfigured as exc:
        log.error("WeCom callback received but not configured: %s", exc.errmsg)
        return HttpResponse("WeCom callback is not configured", status=503, content_type=TEXT)
    try:
        signature, timestamp, nonce = _params(request, "msg_signature", "timestamp", "nonce")
        _check_timestamp(timestamp)
        if request.method == "GET":
            (echostr,) = _params(request, "echostr")
            return HttpResponse(
                crypto.verify_url(signature, timestamp, nonce, echostr), content_type=TEXT
            )
        xml_text = crypto.decrypt_message(signature, timestamp, nonce, request.body)
        message = parse_xml(xml_text)
    except WeComCallbackError as exc:
        log.warning(
            "rejected a WeCom callback %s from %s: %s",
            request.method,
            request.META.get("REMOTE_ADDR", "?"),
            exc.message,
        )
        return HttpResponse(
            f"WeCom callback rejected: {exc.message}", status=exc.status, content_type=TEXT
        )
    event, created = services.record_callback_event(message=message, raw_xml=xml_text)
    if not created:
        log.info("WeCom re-delivered callback event %s; already recorded", event.pk)
    return HttpResponse("success", content_type=TEXT)


# --- sign-in ----------------------------------------------------------------------------------


def _refused(request: HttpRequest, error: signin.SignInRefused) -> HttpResponse:
    log.info("WeCom sign-in refused: %s", error.code)
    return render(
        request,
        "wecom/signin_refused.html",
        {"message": error.message, "code": error.code},
        status=403,
    )


@never_cache
@require_GET
def oauth_start(request: HttpRequest) -> HttpResponse:
    """Where every link in a WeCom message points: signed in already → the page; else 网页授权."""
    next_url = signin.safe_next(request, request.GET.get("next"))
    if request.user.is_authenticated:
        return redirect(next_url)
    if not signin.available():
        return redirect_to_login(next_url)
    return redirect(signin.authorize_url(request, next_url=next_url))


@never_cache
@require_GET
def qr_start(request: HttpRequest) -> HttpResponse:
    """The 企业微信扫码登录 button: off to WeCom's QR page."""
    next_url = signin.safe_next(request, request.GET.get("next"))
    if not signin.available():
        return _refused(
            request,
            signin.SignInRefused(
                _("企业微信登录尚未配置，请使用账号密码登录。"), code="not_configured"
            ),
        )
    return redirect(signin.qr_login_url(request, next_url=next_url))


@never_cache
@require_GET
def oauth_callback(request: HttpRequest) -> HttpResponse:
    """Both flows come back here with ?code=…&state=…."""
    try:
        pending = signin.consume_state(request, request.GET.get("state", ""))
        identity = signin.identify(request.GET.get("code", ""))
        user = signin.account_for(identity)
    except signin.SignInRefused as error:
        return _refused(request, error)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return redirect(signin.safe_next(request, pending.get("next")))


# --- JS-SDK ---------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def jssdk_config(request: HttpRequest) -> HttpResponse:
    """The signatures `ww.register` asks for, for one page of this site (?url=…)."""
    try:
        url = jssdk.check_url(request.GET.get("url", ""), host=request.get_host())
        return JsonResponse(jssdk.sidebar_config(url))
    except jssdk.SignatureRefused as exc:
        return JsonResponse({"detail": exc.message}, status=exc.status)
