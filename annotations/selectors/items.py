"""Reads of datasets' contents, scoped to what the caller may see."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from annotations.errors import NotFoundError
from annotations.models import Caption, Dataset, Item, Review
from annotations.selectors.access import ANNOTATOR, Access

MAX_PAGE_SIZE = 200


def dataset_list_with_progress(*, access: Access) -> QuerySet[Dataset]:
    """Visible datasets with item counts per status and the means of the current captions'
    density, coverage and VQA support."""
    per_status = {
        f"count_{status}": Count("items", filter=Q(items__status=status))
        for status in Item.Status.values
    }
    return (
        access.datasets()
        .annotate(
            count_total=Count("items"),
            density_mean=Avg("items__density"),
            coverage_mean=Avg("items__coverage"),
            vqa_support_mean=Avg("items__vqa_support"),
            **per_status,
        )
        .order_by("slug")
    )


@dataclass(frozen=True)
class ItemFilters:
    status: str | None = None
    density_min: float | None = None
    density_max: float | None = None
    coverage_min: float | None = None
    coverage_max: float | None = None
    vqa_support_min: float | None = None
    vqa_support_max: float | None = None
    has_open_review: bool | None = None
    text: str | None = None


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The item id a cursor continues after; ValueError for anything this module did not write."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor") from None
    prefix, _, number = raw.partition(":")
    if prefix != "id" or not number.isdigit():
        raise ValueError("not a cursor")
    return int(number)


def item_list(
    *, dataset: Dataset, filters: ItemFilters, after_id: int | None, limit: int
) -> tuple[list[Item], int | None]:
    """One page of a dataset's items in id order, and the id the next page starts after.

    Keyset pagination on (dataset, id) keeps every page as cheap as the first, at any depth.
    """
    items = filtered_items(dataset=dataset, filters=filters).select_related("current_caption")
    if after_id is not None:
        items = items.filter(pk__gt=after_id)
    page = list(items.order_by("pk")[: limit + 1])
    has_more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].pk if has_more else None)


def filtered_items(*, dataset: Dataset, filters: ItemFilters) -> QuerySet[Item]:
    """A dataset's items that pass the item-list filters (also a caption job's selection)."""
    items = Item.objects.filter(dataset=dataset)
    if filters.status is not None:
        items = items.filter(status=filters.status)
    for metric in ("density", "coverage", "vqa_support"):
        # An item without the metric (no caption, no reference facts, no VQA pairs) matches no
        # range: NULL compares as unknown.
        low, high = getattr(filters, f"{metric}_min"), getattr(filters, f"{metric}_max")
        if low is not None:
            items = items.filter(**{f"{metric}__gte": low})
        if high is not None:
            items = items.filter(**{f"{metric}__lte": high})
    if filters.has_open_review is not None:
        open_review = Exists(Review.objects.filter(item=OuterRef("pk"), status=Review.Status.OPEN))
        items = items.filter(open_review if filters.has_open_review else ~open_review)
    if filters.text:
        items = items.annotate(
            caption_search=SearchVector("current_caption__text", config="simple")
        ).filter(caption_search=SearchQuery(filters.text, config="simple"))
    return items


def item_get(*, access: Access, item_id: int) -> Item:
    item = (
        Item.objects.filter(pk=item_id, dataset__in=access.datasets())
        .select_related("dataset", "current_caption")
        .first()
    )
    if item is None:
        raise NotFoundError("No such item.")
    return item


def item_detail_parts(item: Item) -> dict[str, Any]:
    """What the item view shows beside the item: facts, model suggestion, VQA pairs."""
    facts = []
    if item.current_caption is not None:
        facts = list(
            item.current_caption.facts.select_related("entity", "entity__knowledge_base").order_by(
                "position"
            )
        )
    suggestion = (
        Caption.objects.filter(item=item, origin=Caption.Origin.MODEL)
        .order_by("-created_at")
        .first()
    )
    return {
        "facts": facts,
        "model_suggestion": suggestion,
        "vqa_pairs": list(item.vqa_pairs.order_by("pk")),
    }


def caption_history(*, access: Access, item: Item) -> QuerySet[Caption]:
    """An item's caption versions, newest first.

    Until an item is done, an annotator sees no other annotator's caption: annotations must stay
    independent for the agreement between them to mean anything.
    """
    captions = Caption.objects.filter(item=item).select_related("author")
    if item.status != Item.Status.DONE and access.role_in(item.dataset) == ANNOTATOR:
        captions = captions.filter(
            ~Q(origin=Caption.Origin.ANNOTATOR) | Q(author_id=access.user.pk)
        )
    return captions.order_by("-created_at", "-pk")
