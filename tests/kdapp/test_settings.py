"""Settings fail loudly on bad values, and production settings refuse unsafe ones.

Each case runs in a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import clean_env, run_python

STRONG_SECRET = "k3Jv9-qL2xN8pR5tW7yZ1aB4cD6eF0gH3iJ5kL7mN9oP1qR3sT5uV7wX9yZ"
LOAD_SETTINGS = ["-c", "from django.conf import settings; settings.DATABASES"]


def production_env(**overrides: str) -> dict[str, str]:
    values = {
        "DJANGO_SETTINGS_MODULE": "kdapp.settings.production",
        "KD_SECRET_KEY": STRONG_SECRET,
        "DATABASE_URL": "postgres://kd@db.internal:5432/kdstudio",
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "KD_ALLOWED_HOSTS": "kd.example.org",
    }
    values.update(overrides)
    return clean_env(**{name: value for name, value in values.items() if value})


def last_line(stderr: str) -> str:
    return stderr.strip().splitlines()[-1]


def test_production_settings_pass_the_deployment_checklist() -> None:
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env()
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."


def test_production_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    result = run_python(
        ["manage.py", "check"], production_env(KD_SECRET_KEY="", KD_DATA_DIR=str(tmp_path))
    )
    assert result.returncode == 1
    assert last_line(result.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: KD_SECRET_KEY is not set. `make run` and "
        "`python manage.py` generate one under the data dir in development; production needs it "
        "in the environment."
    )
    # Nothing was generated for it, and no embedded database was started.
    assert list(tmp_path.iterdir()) == []


def test_production_refuses_a_weak_secret() -> None:
    result = run_python(LOAD_SETTINGS, production_env(KD_SECRET_KEY="django-insecure-" + "a" * 40))
    assert result.returncode == 1
    assert "KD_SECRET_KEY is too weak" in last_line(result.stderr)


def test_production_refuses_debug() -> None:
    result = run_python(LOAD_SETTINGS, production_env(KD_DEBUG="true"))
    assert result.returncode == 1
    assert last_line(result.stderr) == (
        "django.core.exceptions.ImproperlyConfigured: "
        "KD_DEBUG must be off with the production settings."
    )


def test_production_needs_a_database_url(tmp_path: Path) -> None:
    result = run_python(
        ["manage.py", "check"], production_env(DATABASE_URL="", KD_DATA_DIR=str(tmp_path))
    )
    assert result.returncode == 1
    assert "ImproperlyConfigured: DATABASE_URL is not set." in last_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KD_PORT", "eighty", "KD_PORT='eighty' is not an integer."),
        ("KD_DEBUG", "sometimes", "KD_DEBUG='sometimes' is not a boolean; use one of "),
        (
            "CELERY_BROKER_URL",
            "sqs://queue",
            "CELERY_BROKER_URL must be a redis://, rediss:// or amqp:// URL",
        ),
        (
            "DATABASE_URL",
            "mysql://root@localhost/kd",
            "DATABASE_URL must be a postgres:// URL; got scheme 'mysql'.",
        ),
        (
            "KD_TASK_TIME_LIMIT",
            "8000",
            "KD_TASK_TIME_LIMIT must be under half the broker's visibility timeout (14400 s)",
        ),
    ],
)
def test_bad_values_stop_the_process_with_the_variable_named(
    variable: str, value: str, message: str
) -> None:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="kdapp.settings.development",
        KD_SECRET_KEY="development-secret",
        DATABASE_URL="postgres://kd@localhost/kdstudio",
        CELERY_BROKER_URL="redis://localhost:6379/0",
        KD_TASK_SOFT_TIME_LIMIT="100",
    )
    env[variable] = value
    result = run_python(LOAD_SETTINGS, env)
    assert result.returncode == 1
    assert message in last_line(result.stderr)


def test_reading_settings_writes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "kd"
    env = clean_env(
        DJANGO_SETTINGS_MODULE="kdapp.settings.development",
        KD_SECRET_KEY="development-secret",
        DATABASE_URL="postgres://kd@localhost/kdstudio",
        KD_DATA_DIR=str(data_dir),
    )
    script = (
        "from django.conf import settings; "
        "print(settings.DATA_DIR, settings.MEDIA_ROOT, settings.BROKER_IS_EMBEDDED)"
    )
    result = run_python(["-c", script], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{data_dir} {data_dir / 'media'} True"
    assert not data_dir.exists()


def test_the_task_time_limit_stays_under_half_the_visibility_timeout() -> None:
    from django.conf import settings

    from kdapp.embedded.broker import REDIS_VISIBILITY_TIMEOUT

    assert settings.CELERY_TASK_SOFT_TIME_LIMIT < settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_TIME_LIMIT * 2 <= REDIS_VISIBILITY_TIMEOUT
