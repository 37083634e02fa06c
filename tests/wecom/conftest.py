import pytest

from andon.wecom.client import WeComClient
from tests.wecom_server import (
    CALLBACK_AES_KEY,
    CALLBACK_TOKEN,
    CORP_ID,
    wecom_server,  # noqa: F401 - the fixture, re-exported for these tests
)


@pytest.fixture
def wecom(wecom_server, db):  # noqa: F811 - uses the fixture imported above
    with WeComClient() as client:
        yield client


@pytest.fixture
def callback_settings(settings):
    settings.WECOM_CORP_ID = CORP_ID
    settings.WECOM_CALLBACK_TOKEN = CALLBACK_TOKEN
    settings.WECOM_CALLBACK_AES_KEY = CALLBACK_AES_KEY
    return settings
