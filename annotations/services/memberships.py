"""Who works on a dataset, in which role. Admins grant any role; leads add and remove annotators;
nobody changes their own membership, so no one can raise their own role."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from annotations.errors import ConflictError, NotFoundError, PermissionDeniedError
from annotations.models import AuditAction, Dataset, Membership
from annotations.selectors.access import ADMIN, LEAD, Access
from annotations.services.audit import audit_record


def _check_may_manage(access: Access, dataset: Dataset, *, role: str, user_id: int) -> None:
    if user_id == access.user.pk:
        raise PermissionDeniedError("Nobody can change their own membership.")
    caller = access.require_role(dataset, LEAD)
    if caller != ADMIN and role != Membership.Role.ANNOTATOR:
        raise PermissionDeniedError("Leads manage annotators; only administrators manage leads.")


def membership_set(*, access: Access, dataset: Dataset, username: str, role: str) -> Membership:
    """Give ``username`` ``role`` in ``dataset`` (adding or changing the membership)."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFoundError(f"No active user named {username!r}.")
    with transaction.atomic():
        current = Membership.objects.select_for_update().filter(dataset=dataset, user=user).first()
        _check_may_manage(access, dataset, role=role, user_id=user.pk)
        if current is not None and current.role != role:
            # Changing a lead (up or down) is an administrator's decision.
            _check_may_manage(access, dataset, role=current.role, user_id=user.pk)
        before = {"role": current.role} if current else None
        if current is None:
            current = Membership.objects.create(dataset=dataset, user=user, role=role)
        elif current.role != role:
            current.role = role
            current.save(update_fields=["role"])
        else:
            return current
        audit_record(
            actor=access.actor,
            action=AuditAction.MEMBERSHIP_CHANGE,
            target=current,
            dataset_id=dataset.pk,
            before=before,
            after={"user": username, "role": role},
        )
    return current


def membership_remove(*, access: Access, membership: Membership) -> None:
    with transaction.atomic():
        _check_may_manage(
            access, membership.dataset, role=membership.role, user_id=membership.user_id
        )
        if membership.user.kd_annotations.filter(
            item__dataset=membership.dataset, status__in=["assigned", "draft"]
        ).exists():
            raise ConflictError(
                "The user holds open annotations here; they must finish or release them."
            )
        audit_record(
            actor=access.actor,
            action=AuditAction.MEMBERSHIP_CHANGE,
            target=membership,
            dataset_id=membership.dataset_id,
            before={"user": membership.user.get_username(), "role": membership.role},
            after=None,
        )
        membership.delete()
