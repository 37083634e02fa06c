from urllib.parse import quote

from django import template
from django.urls import reverse

from andon.wecom import signin

register = template.Library()


@register.simple_tag
def wecom_qr_login_url(next_url: str = "") -> str:
    """The 企业微信扫码登录 link for the login page, or "" when WeCom is not configured."""
    if not signin.available():
        return ""
    url = reverse("wecom:qr-login")
    return f"{url}?next={quote(next_url)}" if next_url else url
