"""ASGI entry point, for servers that speak ASGI. `andon serve` runs the WSGI app (andon.wsgi)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "andon.settings")
application = get_asgi_application()
