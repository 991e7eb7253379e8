"""API tokens: making, revoking and checking them, and what a token lets its holder do.

A token's secret is ``kd_<prefix>_<random>``: twelve hex digits that name the token in lists and
the audit log, then 32 random bytes in URL-safe base64. Only the sha256 of the whole secret is
stored. Looking a token up by that hash is the comparison: an attacker who controls the secret
cannot steer the hash, so the index lookup leaks nothing useful through its timing, and a stolen
database holds no usable secrets.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from annotations.errors import NotFoundError
from annotations.models import ApiToken, AuditAction, Dataset, Membership
from annotations.models.jobs import validate_token_scopes
from annotations.services.audit import Actor, audit_record

_PREFIX_HEX_DIGITS = 12
_RANDOM_BYTES = 32
# token_urlsafe(32) is 43 characters of [A-Za-z0-9_-]; anything else is not one of ours.
_SECRET_PATTERN = re.compile(r"kd_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", re.ASCII)
# last_used_at is for people ("used 3 minutes ago"), so minute resolution is enough, and a token
# used many times a second costs one UPDATE a minute instead of one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_SCOPE_ORDER = list(ApiToken.Scope.values)
# What each scope a token holds grants. manage is everything the user may do; annotate does
# not include reading finished data (export:read), nor the other way round.
_GRANTS: dict[str, frozenset[str]] = {
    ApiToken.Scope.EXPORT_READ: frozenset({ApiToken.Scope.EXPORT_READ}),
    ApiToken.Scope.ANNOTATE: frozenset({ApiToken.Scope.ANNOTATE}),
    ApiToken.Scope.MANAGE: frozenset(ApiToken.Scope.values),
}


def secret_hash(secret: str) -> str:
    """The stored form of a secret: sha256, hex."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _normalized_scopes(scopes: Iterable[str]) -> list[str]:
    """Distinct scopes in declaration order; unknown names and an empty list are refused."""
    requested = list(scopes)
    try:
        validate_token_scopes(list(dict.fromkeys(requested)))
    except ValidationError as error:
        raise ValidationError({"scopes": error.messages}) from None
    return sorted(set(requested), key=_SCOPE_ORDER.index)


def _is_storable_text(text: str) -> bool:
    """Postgres text cannot hold NUL, and UTF-8 cannot encode a lone surrogate."""
    return "\x00" not in text and not any("\ud800" <= char <= "\udfff" for char in text)


def _user_may_see(user: AbstractBaseUser, dataset: Dataset) -> bool:
    if getattr(user, "is_staff", False):
        return True
    return Membership.objects.filter(user_id=user.pk, dataset_id=dataset.pk).exists()


def token_create(
    *,
    user: AbstractBaseUser,
    name: str,
    scopes: Iterable[str],
    dataset: Dataset | None,
    expires_at: datetime | None,
    actor: Actor,
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` and return it with its secret, which is never stored or shown
    again.

    ``dataset`` binds the token to that dataset; ``None`` lets it reach every dataset the user
    may see. ``expires_at`` ``None`` means it does not expire. Raises Django's
    ``ValidationError`` (by field) for no or unknown scopes, a past expiry or a bad name, and
    ``NotFoundError`` for a dataset the user may not see, exactly as for one that does not
    exist.
    """
    normalized = _normalized_scopes(scopes)
    if not _is_storable_text(name):
        raise ValidationError({"name": ["Null characters and lone surrogates are not allowed."]})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    if dataset is not None and not _user_may_see(user, dataset):
        raise NotFoundError("No such dataset.")

    # 48 random bits of prefix: a clash (the unique index refuses it) needs about 16 million
    # tokens for even odds, far beyond any one installation.
    prefix = secrets.token_hex(_PREFIX_HEX_DIGITS // 2)
    secret = f"kd_{prefix}_{secrets.token_urlsafe(_RANDOM_BYTES)}"
    token = ApiToken(
        user_id=user.pk,
        name=name,
        prefix=prefix,
        key_hash=secret_hash(secret),
        scopes=normalized,
        dataset=dataset,
        expires_at=expires_at,
    )
    # The unique fields are fresh random values, the check constraint repeats the scopes
    # validator and both foreign keys were checked above: none of it is worth a query here.
    token.full_clean(exclude=["user", "dataset"], validate_unique=False, validate_constraints=False)
    with transaction.atomic():
        token.save(force_insert=True)
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_CREATE,
            target=token,
            dataset_id=token.dataset_id,
            after={
                "user_id": token.user_id,
                "name": token.name,
                "prefix": token.prefix,
                "scopes": token.scopes,
                "dataset_id": token.dataset_id,
                "expires_at": None if expires_at is None else expires_at.isoformat(),
            },
        )
    return token, secret


def token_revoke(*, token: ApiToken, actor: Actor) -> ApiToken:
    """Revoke ``token`` from now on, and record it. Revoking a revoked token changes nothing
    and records nothing."""
    with transaction.atomic():
        now = timezone.now()
        # Conditional, so two concurrent revocations record one event between them.
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if not revoked:
            token.refresh_from_db(fields=["revoked_at"])
            return token
        token.revoked_at = now
        audit_record(
            actor=actor,
            action=AuditAction.TOKEN_REVOKE,
            target=token,
            dataset_id=token.dataset_id,
            before={"revoked_at": None},
            after={"revoked_at": now.isoformat()},
        )
    return token


def token_authenticate(raw: str) -> ApiToken | None:
    """The active token whose secret is ``raw``, with its user loaded; ``None`` for anything
    malformed, unknown, revoked or expired, or a token of an inactive user.

    Records the use in ``last_used_at`` at most once per ``LAST_USED_RESOLUTION``.
    """
    if not _SECRET_PATTERN.fullmatch(raw):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=secret_hash(raw)).first()
    now = timezone.now()
    if token is None or not token.is_active_at(now) or not token.user.is_active:
        return None
    stale_before = now - LAST_USED_RESOLUTION
    if token.last_used_at is None or token.last_used_at <= stale_before:
        # The condition is repeated in SQL: of many requests arriving at once, one writes.
        touched = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before))
            .update(last_used_at=now)
        )
        if touched:
            token.last_used_at = now
    return token


def token_allows(token: ApiToken | None, *, scope: str, dataset_id: int | None) -> bool:
    """Whether ``token`` lets its holder do something that needs ``scope``.

    ``token`` ``None`` is a session: it is limited by the user's roles alone, so this is True.
    ``dataset_id`` is the dataset the operation touches, or ``None`` for one that is not about
    a single existing dataset. A token bound to a dataset allows nothing on another dataset.
    For ``dataset_id`` ``None`` it allows reading and annotating (lists, which the selectors
    narrow to its dataset), but never ``manage``: a bound token must not create datasets or act
    across them. A revoked or expired token allows nothing. Raises ``ValueError`` for a scope
    name that does not exist, which is a programming error.
    """
    if scope not in _GRANTS:
        raise ValueError(f"unknown token scope {scope!r}")
    if token is None:
        return True
    if not token.is_active_at(timezone.now()):
        return False
    if token.dataset_id is not None:
        if dataset_id is None and scope == ApiToken.Scope.MANAGE:
            return False
        if dataset_id is not None and dataset_id != token.dataset_id:
            return False
    return any(scope in _GRANTS.get(held, frozenset()) for held in token.scopes)


def token_list_for_user(*, user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked and expired ones included."""
    return ApiToken.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def token_get_for_user(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    """One of the user's tokens; ``NotFoundError`` for another user's, as for a missing one."""
    token = ApiToken.objects.filter(user_id=user.pk, pk=token_id).first()
    if token is None:
        raise NotFoundError("No such token.")
    return token
