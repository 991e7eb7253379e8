"""Shared fixtures. Importing this module prepares the runtime the settings read.

When DATABASE_URL is unset the embedded Postgres is started under KD_DATA_DIR (``make test``
points it at .kd-test/) and stopped when the session ends; when it is set, that server is used.
"""

from __future__ import annotations

import os

from kdapp.embedded.runtime import prepare_environment

os.environ["DJANGO_SETTINGS_MODULE"] = "kdapp.settings.test"
# Models load only from the directories the tests build; nothing may reach for the Hub.
os.environ["HF_HUB_OFFLINE"] = "1"
prepare_environment()

import django  # noqa: E402

django.setup()

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny random-weight BLIP, Florence-2 and LLaVA checkpoints, saved as real ones are."""
    from tests.support.tiny_models import FAMILIES, build

    root = tmp_path_factory.mktemp("models")
    return {family: build(family, root / family) for family in FAMILIES}


@pytest.fixture
def user(db: None) -> User:
    return User.objects.create_user("ada", "ada@example.org", "correct horse battery")


@pytest.fixture
def user_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def anonymous_client() -> Client:
    return Client()
