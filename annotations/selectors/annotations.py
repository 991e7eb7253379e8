"""Reads of annotations: an annotator sees their own, leads and admins all of their datasets."""

from __future__ import annotations

from annotations.errors import NotFoundError
from annotations.models import Annotation
from annotations.selectors.access import ANNOTATOR, Access


def annotation_get(*, access: Access, annotation_id: int) -> Annotation:
    annotation = (
        Annotation.objects.filter(pk=annotation_id, item__dataset__in=access.datasets())
        .select_related("item", "item__dataset", "annotator")
        .first()
    )
    if annotation is None:
        raise NotFoundError("No such annotation.")
    role = access.role_in(annotation.item.dataset)
    if role == ANNOTATOR and annotation.annotator_id != access.user.pk:
        raise NotFoundError("No such annotation.")
    return annotation
