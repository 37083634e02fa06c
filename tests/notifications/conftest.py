import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every factory user sets a password; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
