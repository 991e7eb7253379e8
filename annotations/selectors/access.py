"""Who may see what: every lookup starts from the datasets a caller can reach.

Staff users are admins of every dataset. Other users reach the datasets they are members of, as
annotator or lead. An API token narrows its user's reach to one dataset when it names one.
Objects outside that reach are reported as missing (404), never as forbidden, so ids cannot be
probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from annotations.errors import NotFoundError, PermissionDeniedError
from annotations.models import ApiToken, Dataset, Membership
from annotations.services.audit import Actor

ADMIN = "admin"
LEAD = Membership.Role.LEAD.value
ANNOTATOR = Membership.Role.ANNOTATOR.value
# Higher includes lower: a lead may do what an annotator may, an admin what a lead may.
_RANK = {ANNOTATOR: 1, LEAD: 2, ADMIN: 3}


@dataclass(frozen=True)
class Access:
    """The caller of a request: a user, and the API token it came with, if any."""

    user: AbstractBaseUser | AnonymousUser
    token: ApiToken | None = None

    @classmethod
    def of(cls, request: Any) -> Access:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return cls(request.user, token)

    @property
    def is_admin(self) -> bool:
        return bool(getattr(self.user, "is_staff", False))

    @property
    def actor(self) -> Actor:
        """Who the audit log names for this caller's changes."""
        if self.token is not None:
            return Actor.for_token(self.token)
        return Actor.for_user(self.user)  # type: ignore[arg-type]

    def require_scope(self, scope: str, *, dataset_id: int | None = None) -> None:
        """403 when the caller's API token does not carry ``scope``; sessions carry every scope."""
        if self.token is None:
            return
        from annotations.services.tokens import token_allows  # tokens imports this module

        if not token_allows(self.token, scope=scope, dataset_id=dataset_id):
            raise PermissionDeniedError(
                f"This API token lacks the {scope} scope.", extra={"required_scope": scope}
            )

    def datasets(self) -> QuerySet[Dataset]:
        if not self.user.is_authenticated:
            return Dataset.objects.none()
        datasets = Dataset.objects.all()
        if not self.is_admin:
            datasets = datasets.filter(memberships__user_id=self.user.pk)
        if self.token is not None and self.token.dataset_id is not None:
            datasets = datasets.filter(pk=self.token.dataset_id)
        return datasets

    def role_in(self, dataset: Dataset) -> str | None:
        if self.is_admin:
            return ADMIN
        if not self.user.is_authenticated:
            return None
        return (
            Membership.objects.filter(dataset=dataset, user_id=self.user.pk)
            .values_list("role", flat=True)
            .first()
        )

    def require_role(self, dataset: Dataset, role: str) -> str:
        """The caller's role in ``dataset`` if it is at least ``role``; else 403."""
        actual = self.role_in(dataset)
        if actual is None or _RANK[actual] < _RANK[role]:
            raise PermissionDeniedError(
                f"This needs the {role} role in dataset {dataset.slug}.",
                extra={"required_role": role, "your_role": actual},
            )
        return actual


def dataset_get(*, access: Access, dataset_id: int) -> Dataset:
    dataset = access.datasets().filter(pk=dataset_id).first()
    if dataset is None:
        raise NotFoundError("No such dataset.")
    return dataset
