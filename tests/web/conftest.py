from pathlib import Path

import pytest

from tests import factories


@pytest.fixture
def ticket(handlers, entry, requester):
    """Dispatched round-robin to handlers[0], status pending."""
    return factories.make_ticket(actor=requester, entry=entry, description="屏幕**闪烁**")


@pytest.fixture
def outsider(db):
    """Can file tickets but is in no queue and did not file this one."""
    return factories.requester()


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """The English catalogue is committed as .po; build the .mo if it is missing or stale."""
    from django.conf import settings
    from django.core.management import call_command

    for locale_dir in settings.LOCALE_PATHS:
        for po in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                call_command(
                    "compilemessages",
                    locale=[po.parent.parent.name],
                    verbosity=0,
                    ignore_patterns=[".venv", "node_modules", "var", ".git"],
                )
                break
