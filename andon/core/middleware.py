from django.conf import settings
from django.http import Http404
from django.utils import translation

from andon.core.errors import NotFound


class LanguageMiddleware:
    """Chinese first: the desk speaks LANGUAGE_CODE (zh-hans by default) unless the person chose
    another language with the switcher (the language cookie). Unlike Django's LocaleMiddleware,
    the browser's Accept-Language is not consulted, so an English browser on a Chinese desk still
    sees Chinese until its user switches."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        code = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


class NotFoundMiddleware:
    """A page whose read raised the services' `NotFound` (e.g. `get_visible_ticket`) answers 404,
    as `Http404` would: a hidden object and a missing one look the same. The API maps its errors
    itself (andon.core.api_errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404(exception.detail) from exception
        return None
