"""The API tests' small world of tickets (tests/api/conftest.py), shared here."""

from tests.api.conftest import api, world  # noqa: F401
