"""Django serves the browser app: index.html for every app route, under a strict CSP."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from kdapp.frontend import CONTENT_SECURITY_POLICY

INDEX = '<!doctype html><html><head><script type="module" src="/static/app/index-AbCd1234.js">'


@pytest.fixture
def built(settings: Settings, tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text(INDEX, encoding="utf-8")
    settings.FRONTEND_DIST = tmp_path
    return tmp_path


@pytest.mark.parametrize(
    "path", ["/", "/login", "/annotate/3", "/items/7/history", "/datasets/1/jobs", "/jobs/2"]
)
def test_app_routes_get_the_app_shell_with_a_strict_csp(built: Path, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert response.content.decode() == INDEX
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response["Cache-Control"] == "no-cache"
    assert "csrftoken" in response.cookies


def test_a_new_build_is_served_without_a_restart(built: Path) -> None:
    assert Client().get("/").content.decode() == INDEX
    newer = INDEX.replace("AbCd1234", "EfGh5678")
    (built / "index.html").write_text(newer, encoding="utf-8")
    import os

    os.utime(built / "index.html", ns=(10**18, 10**18))
    assert Client().get("/").content.decode() == newer


def test_without_a_build_the_page_says_how_to_build_it(settings: Settings, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = tmp_path / "missing"
    response = Client().get("/annotate/1")
    assert response.status_code == 503
    assert "The web app is not built" in response.content.decode()
    assert "npm ci" in response.content.decode()


def test_the_api_and_unknown_paths_are_not_the_app(built: Path) -> None:
    assert Client().get("/api/v1/nothing/").json()["code"] == "not_found"
    assert Client().get("/wp-admin").status_code == 404
    assert Client().post("/login").status_code == 405
