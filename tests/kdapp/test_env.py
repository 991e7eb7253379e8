from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kdapp.env import env_bool, env_float, env_int, env_list, env_path, env_str, parse_database_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("off", False)],
)
def test_env_bool_accepts_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("KD_FLAG", raw)
    assert env_bool("KD_FLAG", not expected) is expected


def test_env_bool_uses_the_default_when_unset_or_blank(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KD_FLAG", raising=False)
    assert env_bool("KD_FLAG", True) is True
    monkeypatch.setenv("KD_FLAG", "  ")
    assert env_bool("KD_FLAG", False) is False


def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KD_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured) as raised:
        env_bool("KD_FLAG", False)
    assert str(raised.value) == (
        "KD_FLAG='maybe' is not a boolean; use one of "
        "['0', '1', 'false', 'no', 'off', 'on', 'true', 'yes']."
    )


def test_env_int_parses_and_checks_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KD_N", "8080")
    assert env_int("KD_N", 1, minimum=1, maximum=65535) == 8080
    monkeypatch.setenv("KD_N", "0")
    with pytest.raises(ImproperlyConfigured, match=r"^KD_N=0 is below the minimum of 1\.$"):
        env_int("KD_N", 1, minimum=1)
    monkeypatch.setenv("KD_N", "70000")
    with pytest.raises(ImproperlyConfigured, match=r"^KD_N=70000 is above the maximum of 65535\.$"):
        env_int("KD_N", 1, maximum=65535)
    monkeypatch.setenv("KD_N", "80a")
    with pytest.raises(ImproperlyConfigured, match=r"^KD_N='80a' is not an integer\.$"):
        env_int("KD_N", 1)


def test_env_float_parses_and_checks_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env_float("KD_F", 0.75, minimum=0, maximum=1) == 0.75
    monkeypatch.setenv("KD_F", "0.5")
    assert env_float("KD_F", 0.75, minimum=0, maximum=1) == 0.5
    monkeypatch.setenv("KD_F", "1.5")
    with pytest.raises(ImproperlyConfigured, match=r"^KD_F=1\.5 is outside 0 to 1\.$"):
        env_float("KD_F", 0.75, minimum=0, maximum=1)
    monkeypatch.setenv("KD_F", "high")
    with pytest.raises(ImproperlyConfigured, match=r"^KD_F='high' is not a number\.$"):
        env_float("KD_F", 0.75, minimum=0, maximum=1)


def test_env_list_and_str_and_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KD_HOSTS", "a.example, ,b.example,")
    assert env_list("KD_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.delenv("KD_HOSTS")
    assert env_list("KD_HOSTS", ["x"]) == ["x"]
    monkeypatch.setenv("KD_NAME", " kd ")
    assert env_str("KD_NAME") == "kd"
    monkeypatch.setenv("KD_WHERE", str(tmp_path / "a" / ".." / "b"))
    assert env_path("KD_WHERE", Path("/unused")) == tmp_path / "b"


def test_parse_database_url_over_tcp() -> None:
    assert parse_database_url("postgres://kd:p%40ss@db.internal:6543/kdstudio?sslmode=require") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kdstudio",
        "USER": "kd",
        "PASSWORD": "p@ss",
        "HOST": "db.internal",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
    }


def test_parse_database_url_over_a_unix_socket() -> None:
    # The form the embedded Postgres reports.
    assert parse_database_url("postgresql://postgres:@/kdstudio?host=/srv/kd/postgres") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "kdstudio",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": "/srv/kd/postgres",
        "PORT": "",
        "OPTIONS": {},
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://root@localhost/kd",
            "DATABASE_URL must be a postgres:// URL; got scheme 'mysql'.",
        ),
        ("sqlite:///kd.db", "DATABASE_URL must be a postgres:// URL; got scheme 'sqlite'."),
        (
            "postgres://localhost",
            "DATABASE_URL must name a database, as in postgres://host/kdstudio.",
        ),
        ("postgres://localhost:99999/kd", "DATABASE_URL has an invalid port."),
    ],
)
def test_parse_database_url_rejects_what_we_cannot_run_on(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        parse_database_url(url)
    assert str(raised.value) == message
