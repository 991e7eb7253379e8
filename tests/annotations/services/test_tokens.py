"""API tokens: made with a secret shown once and stored hashed, revoked for good, checked per
request without a write on every use, and scoped."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.errors import NotFoundError
from annotations.models import ApiToken, AuditAction, AuditEvent, Dataset, Membership
from annotations.services.audit import Actor
from annotations.services.tokens import (
    LAST_USED_RESOLUTION,
    token_allows,
    token_authenticate,
    token_create,
    token_revoke,
)
from tests.annotations.factories import DatasetFactory, UserFactory

pytestmark = pytest.mark.django_db

EXPORT_READ = ApiToken.Scope.EXPORT_READ.value
ANNOTATE = ApiToken.Scope.ANNOTATE.value
MANAGE = ApiToken.Scope.MANAGE.value


def make_token(
    user: User,
    *,
    scopes: list[str] | None = None,
    dataset: Dataset | None = None,
    expires_at: datetime | None = None,
    name: str = "training job",
) -> tuple[ApiToken, str]:
    return token_create(
        user=user,
        name=name,
        scopes=[EXPORT_READ] if scopes is None else scopes,
        dataset=dataset,
        expires_at=expires_at,
        actor=Actor.for_user(user),
    )


def nothing_was_made() -> None:
    assert ApiToken.objects.count() == 0
    assert AuditEvent.objects.count() == 0


# --- token_create -------------------------------------------------------------------------------


def test_create_returns_the_secret_once_and_stores_only_its_hash() -> None:
    user = UserFactory(username="ada")
    expires_at = timezone.now() + timedelta(days=30)

    token, secret = make_token(user, scopes=[MANAGE, EXPORT_READ, MANAGE], expires_at=expires_at)

    assert secret.startswith(f"kd_{token.prefix}_")
    assert len(token.prefix) == 12
    assert len(secret) == len("kd_") + 12 + 1 + 43
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    # Distinct, in declaration order.
    assert stored.scopes == [EXPORT_READ, MANAGE]
    assert (stored.user_id, stored.name, stored.dataset_id) == (user.pk, "training job", None)
    assert (stored.expires_at, stored.revoked_at, stored.last_used_at) == (expires_at, None, None)
    row = json.dumps(list(ApiToken.objects.values().filter(pk=token.pk)), default=str)
    assert secret not in row
    assert secret.split("_", 2)[2] not in row


def test_create_is_audited_without_the_secret_or_its_hash() -> None:
    user = UserFactory(username="ada")
    dataset = DatasetFactory()
    Membership.objects.create(user=user, dataset=dataset, role=Membership.Role.ANNOTATOR)

    token, secret = make_token(user, scopes=[ANNOTATE], dataset=dataset)

    event = AuditEvent.objects.get()
    assert (event.action, event.actor_type, event.actor_user_id, event.actor_label) == (
        AuditAction.TOKEN_CREATE,
        "user",
        user.pk,
        "ada",
    )
    assert (event.target_type, event.target_id, event.dataset_id) == (
        "annotations.apitoken",
        str(token.pk),
        dataset.pk,
    )
    assert event.before is None
    assert event.after == {
        "user_id": user.pk,
        "name": "training job",
        "prefix": token.prefix,
        "scopes": [ANNOTATE],
        "dataset_id": dataset.pk,
        "expires_at": None,
    }
    serialized = json.dumps([event.before, event.after, event.actor_label])
    assert secret not in serialized
    assert token.key_hash not in serialized


def test_every_token_gets_a_different_secret_and_prefix() -> None:
    user = UserFactory()
    made = [make_token(user) for _ in range(5)]
    assert len({token.prefix for token, _ in made}) == 5
    assert len({secret for _, secret in made}) == 5


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ([], "Give a list of at least one scope."),
        (["export"], "Unknown scope: use export:read, annotate, manage."),
        (["manage", "root"], "Unknown scope: use export:read, annotate, manage."),
    ],
)
def test_create_refuses_no_or_unknown_scopes(scopes: list[str], message: str) -> None:
    user = UserFactory()
    with pytest.raises(ValidationError) as raised:
        make_token(user, scopes=scopes)
    assert raised.value.message_dict == {"scopes": [message]}
    nothing_was_made()


@pytest.mark.parametrize("offset", [timedelta(0), timedelta(seconds=-1), timedelta(days=-3)])
def test_create_refuses_an_expiry_that_is_not_in_the_future(offset: timedelta) -> None:
    user = UserFactory()
    with pytest.raises(ValidationError) as raised:
        make_token(user, expires_at=timezone.now() + offset)
    assert raised.value.message_dict == {"expires_at": ["The expiry must be in the future."]}
    nothing_was_made()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a\x00b", "Null characters and lone surrogates are not allowed."),
        ("a\ud800b", "Null characters and lone surrogates are not allowed."),
        ("x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("", "This field cannot be blank."),
    ],
)
def test_create_refuses_a_name_that_cannot_be_stored(name: str, message: str) -> None:
    user = UserFactory()
    with pytest.raises(ValidationError) as raised:
        make_token(user, name=name)
    assert raised.value.message_dict == {"name": [message]}
    nothing_was_made()


def test_create_refuses_a_dataset_the_user_is_not_a_member_of() -> None:
    user = UserFactory()
    other = DatasetFactory()
    Membership.objects.create(user=UserFactory(), dataset=other, role=Membership.Role.LEAD)

    with pytest.raises(NotFoundError) as raised:
        make_token(user, dataset=other)

    assert (raised.value.code, raised.value.message) == ("not_found", "No such dataset.")
    nothing_was_made()


def test_staff_may_bind_a_token_to_any_dataset() -> None:
    staff = UserFactory(is_staff=True)
    dataset = DatasetFactory()
    token, _ = make_token(staff, dataset=dataset)
    assert ApiToken.objects.get(pk=token.pk).dataset_id == dataset.pk


# --- token_revoke -------------------------------------------------------------------------------


def test_revoke_is_recorded_once_and_is_idempotent() -> None:
    user = UserFactory(username="ada")
    token, secret = make_token(user)
    actor = Actor.for_user(user)

    revoked = token_revoke(token=token, actor=actor)
    first_revoked_at = ApiToken.objects.get(pk=token.pk).revoked_at
    again = token_revoke(token=ApiToken.objects.get(pk=token.pk), actor=actor)

    assert first_revoked_at is not None
    assert revoked.revoked_at == first_revoked_at
    assert again.revoked_at == first_revoked_at
    events = list(AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKE))
    assert len(events) == 1
    assert (events[0].target_id, events[0].before, events[0].after) == (
        str(token.pk),
        {"revoked_at": None},
        {"revoked_at": first_revoked_at.isoformat()},
    )
    assert token_authenticate(secret) is None


def test_a_stale_copy_revoking_again_records_nothing() -> None:
    user = UserFactory()
    token, _ = make_token(user)
    stale = ApiToken.objects.get(pk=token.pk)
    token_revoke(token=token, actor=Actor.for_user(user))

    result = token_revoke(token=stale, actor=Actor.for_user(user))

    assert result.revoked_at == ApiToken.objects.get(pk=token.pk).revoked_at
    assert AuditEvent.objects.filter(action=AuditAction.TOKEN_REVOKE).count() == 1


# --- token_authenticate -------------------------------------------------------------------------


def test_authenticate_finds_the_token_and_records_its_use_once_a_minute() -> None:
    user = UserFactory()
    token, secret = make_token(user)

    with CaptureQueriesContext(connection) as first:
        found = token_authenticate(secret)
    assert found is not None
    assert found.pk == token.pk
    assert found.user == user
    first_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first_use is not None
    assert found.last_used_at == first_use
    assert [q["sql"].split()[0] for q in first.captured_queries] == ["SELECT", "UPDATE"]

    # A hot token: one read per request and no write within the resolution.
    with CaptureQueriesContext(connection) as again:
        assert token_authenticate(secret) is not None
    assert [q["sql"].split()[0] for q in again.captured_queries] == ["SELECT"]
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first_use

    long_ago = timezone.now() - LAST_USED_RESOLUTION - timedelta(seconds=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=long_ago)
    assert token_authenticate(secret) is not None
    later_use = ApiToken.objects.get(pk=token.pk).last_used_at
    assert later_use is not None
    assert later_use > first_use


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "kd_",
        "Bearer kd_0123456789ab_" + "a" * 43,
        "kd_0123456789ab_" + "a" * 42,
        "kd_0123456789ab_" + "a" * 44,
        "kd_0123456789AB_" + "a" * 43,
        "xx_0123456789ab_" + "a" * 43,
        "kd_0123456789ab_" + "a" * 42 + "\n",
        "kd_0123456789ab_" + "a" * 42 + "\x00",
        "kd_0123456789ab_" + "a" * 42 + "é",
        "kd_0123456789ab_" + "a" * 42 + "\ud800",
        "kd_" + "a" * 100_000,
    ],
)
def test_malformed_secrets_are_refused_without_a_query(raw: str) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert token_authenticate(raw) is None
    assert len(queries) == 0


def test_unknown_revoked_expired_and_inactive_are_refused() -> None:
    user = UserFactory()
    _, unknown = make_token(user)
    ApiToken.objects.all().delete()
    assert token_authenticate(unknown) is None

    revoked, revoked_secret = make_token(user)
    token_revoke(token=revoked, actor=Actor.for_user(user))
    assert token_authenticate(revoked_secret) is None

    expired, expired_secret = make_token(user, expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now())
    assert token_authenticate(expired_secret) is None

    _, inactive_secret = make_token(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert token_authenticate(inactive_secret) is None
    # None of the refused tokens was marked as used.
    assert list(ApiToken.objects.values_list("last_used_at", flat=True)) == [None, None, None]


# --- token_allows -------------------------------------------------------------------------------

D1, D2 = 1, 2


@pytest.mark.parametrize(
    ("held", "bound_to", "scope", "dataset_id", "allowed"),
    [
        # export:read grants reading only.
        ([EXPORT_READ], None, EXPORT_READ, D1, True),
        ([EXPORT_READ], None, EXPORT_READ, None, True),
        ([EXPORT_READ], None, ANNOTATE, D1, False),
        ([EXPORT_READ], None, MANAGE, D1, False),
        # annotate does not include export:read.
        ([ANNOTATE], None, ANNOTATE, D1, True),
        ([ANNOTATE], None, EXPORT_READ, D1, False),
        ([ANNOTATE], None, MANAGE, None, False),
        # manage includes the others.
        ([MANAGE], None, MANAGE, D1, True),
        ([MANAGE], None, MANAGE, None, True),
        ([MANAGE], None, EXPORT_READ, D2, True),
        ([MANAGE], None, ANNOTATE, D2, True),
        ([EXPORT_READ, ANNOTATE], None, ANNOTATE, D1, True),
        ([EXPORT_READ, ANNOTATE], None, EXPORT_READ, D1, True),
        ([EXPORT_READ, ANNOTATE], None, MANAGE, D1, False),
        # A token bound to D1 reaches D1 alone.
        ([EXPORT_READ], D1, EXPORT_READ, D1, True),
        ([EXPORT_READ], D1, EXPORT_READ, D2, False),
        ([MANAGE], D1, MANAGE, D1, True),
        ([MANAGE], D1, ANNOTATE, D2, False),
        ([MANAGE], D1, EXPORT_READ, D2, False),
        # Not about one dataset: reading and annotating (lists the selectors narrow) are
        # allowed, manage (creating datasets, acting across them) is not.
        ([EXPORT_READ], D1, EXPORT_READ, None, True),
        ([ANNOTATE], D1, ANNOTATE, None, True),
        ([MANAGE], D1, EXPORT_READ, None, True),
        ([MANAGE], D1, MANAGE, None, False),
    ],
)
def test_token_allows(
    held: list[str], bound_to: int | None, scope: str, dataset_id: int | None, allowed: bool
) -> None:
    token = ApiToken(scopes=held, dataset_id=bound_to)
    assert token_allows(token, scope=scope, dataset_id=dataset_id) is allowed


@pytest.mark.parametrize("scope", [EXPORT_READ, ANNOTATE, MANAGE])
def test_a_session_is_not_narrowed_by_scopes(scope: str) -> None:
    assert token_allows(None, scope=scope, dataset_id=D1) is True
    assert token_allows(None, scope=scope, dataset_id=None) is True


@pytest.mark.parametrize(
    "token",
    [
        ApiToken(scopes=[MANAGE], revoked_at=timezone.now()),
        ApiToken(scopes=[MANAGE], expires_at=timezone.now() - timedelta(seconds=1)),
    ],
    ids=["revoked", "expired"],
)
def test_a_revoked_or_expired_token_allows_nothing(token: ApiToken) -> None:
    for scope in (EXPORT_READ, ANNOTATE, MANAGE):
        assert token_allows(token, scope=scope, dataset_id=None) is False


def test_an_unknown_scope_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown token scope 'export'"):
        token_allows(ApiToken(scopes=[MANAGE]), scope="export", dataset_id=None)


# --- The database holds the scope rule too ------------------------------------------------------


@pytest.mark.parametrize("scopes", [[], ["root"], [MANAGE, "root"], "manage", {"manage": True}])
def test_the_database_refuses_scopes_the_code_does_not_know(scopes: object) -> None:
    user = UserFactory()
    token, _ = make_token(user)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(scopes=scopes)
    assert ApiToken.objects.get(pk=token.pk).scopes == [EXPORT_READ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_the_old_scope_onto_scopes_and_back() -> None:
    before, after = (
        ("annotations", "0002_immutability_triggers"),
        ("annotations", "0003_api_token_scopes"),
    )
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        owner = old.get_model("auth", "User").objects.create(username="old-tokens")
        OldToken = old.get_model("annotations", "ApiToken")
        for number, scope in enumerate(["export", "full"]):
            OldToken.objects.create(
                user=owner, name=scope, prefix=f"p{number}", key_hash=f"{number:064d}", scope=scope
            )
        executor = MigrationExecutor(connection)
        executor.migrate([after])
        new = executor.loader.project_state([after]).apps
        NewToken = new.get_model("annotations", "ApiToken")
        assert dict(NewToken.objects.values_list("name", "scopes")) == {
            "export": [EXPORT_READ],
            "full": [MANAGE],
        }
        NewToken.objects.filter(name="export").update(scopes=[EXPORT_READ, ANNOTATE])

        # And back: manage becomes full, anything else export.
        executor = MigrationExecutor(connection)
        executor.migrate([before])
        OldToken = executor.loader.project_state([before]).apps.get_model("annotations", "ApiToken")
        assert dict(OldToken.objects.values_list("name", "scope")) == {
            "export": "export",
            "full": "full",
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
