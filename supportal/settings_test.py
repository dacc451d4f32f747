"""Settings for the test suite: the real settings with tasks run in-process."""

from __future__ import annotations

from supportal.settings import *  # noqa: F403
from supportal.settings import HUEY, PASSWORD_HASHERS

# Tasks run where they are enqueued, so a test sees their effect without a worker.
HUEY = {**HUEY, "immediate": True}
# Argon2 stays first in production; tests hash thousands of passwords, so they use a fast one.
# supportal/accounts/tests/test_passwords.py checks the production order separately.
PRODUCTION_PASSWORD_HASHERS = PASSWORD_HASHERS
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
