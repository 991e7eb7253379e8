from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from kdapp.celery import app


def test_healthz_answers_without_touching_the_database(anonymous_client: Client) -> None:
    # No `db` fixture: any query would fail the test.
    response = anonymous_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


def test_readyz_reports_every_check(anonymous_client: Client, db: None) -> None:
    response = anonymous_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "checks": {"database": {"ok": True}, "migrations": {"ok": True}, "broker": {"ok": True}},
    }


@pytest.fixture
def unreachable_broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # Celery reads these variables ahead of its configuration.
    for variable in ("CELERY_BROKER_URL", "CELERY_BROKER_WRITE_URL", "CELERY_BROKER_READ_URL"):
        monkeypatch.delenv(variable, raising=False)
    saved = {key: app.conf[key] for key in ("broker_url", "broker_transport")}
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.broker_transport = None
    try:
        yield
    finally:
        app.conf.update(saved)


def test_readyz_is_503_with_the_reason_when_the_broker_is_down(
    anonymous_client: Client, db: None, unreachable_broker: None
) -> None:
    response = anonymous_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": True}
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["reason"].startswith("broker unreachable: ")
    assert "127.0.0.1:1" in body["checks"]["broker"]["reason"]


def test_health_endpoints_only_answer_get(anonymous_client: Client) -> None:
    response = anonymous_client.post("/readyz")
    assert response.status_code == 405
