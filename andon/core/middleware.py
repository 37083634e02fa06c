from django.conf import settings
from django.utils import translation


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
