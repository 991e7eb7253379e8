from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from kdapp.embedded.admin import AdminLogin, ensure_admin

pytestmark = pytest.mark.django_db


def test_first_run_generates_a_password_kept_privately_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KD_ADMIN_USERNAME", raising=False)
    monkeypatch.delenv("KD_ADMIN_PASSWORD", raising=False)

    first = ensure_admin(tmp_path)
    stored = (tmp_path / "admin_password").read_text().strip()
    assert first == AdminLogin("admin", stored)
    assert len(stored) == 16
    assert (tmp_path / "admin_password").stat().st_mode & 0o777 == 0o600
    admin = User.objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.check_password(stored)) == (True, True, True)

    assert ensure_admin(tmp_path) == first
    assert User.objects.filter(username="admin").count() == 1


def test_a_password_changed_later_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KD_ADMIN_PASSWORD", raising=False)
    ensure_admin(tmp_path)
    admin = User.objects.get(username="admin")
    admin.set_password("chosen by the admin")
    admin.save()

    login = ensure_admin(tmp_path)

    assert login == AdminLogin(
        "admin", None, "password set elsewhere; set KD_ADMIN_PASSWORD to reset it"
    )
    assert login.describe() == "admin (password set elsewhere; set KD_ADMIN_PASSWORD to reset it)"
    admin.refresh_from_db()
    assert admin.check_password("chosen by the admin")


def test_configured_credentials_are_authoritative_and_not_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KD_ADMIN_USERNAME", "root-of-trust")
    monkeypatch.setenv("KD_ADMIN_PASSWORD", "first configured password")
    login = ensure_admin(tmp_path)
    assert login.describe() == "root-of-trust (password from KD_ADMIN_PASSWORD)"
    assert User.objects.get(username="root-of-trust").check_password("first configured password")

    monkeypatch.setenv("KD_ADMIN_PASSWORD", "rotated password")
    ensure_admin(tmp_path)
    assert User.objects.get(username="root-of-trust").check_password("rotated password")
    # Nothing was written for a password the operator chose.
    assert not (tmp_path / "admin_password").exists()
