"""The WeCom callback endpoint (接收消息与事件).

It is authenticated by the message signature, not by a session, so it is the one CSRF-exempt
view. Every verification failure answers with a short text (403 or 400), never a 500.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from andon.wecom import services
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
