"""Reads of datasets' contents, scoped to what the caller may see."""

from __future__ import annotations

import base64
import binascii
import math
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet

from annotations.errors import NotFoundError
from annotations.models import Caption, Dataset, Fact, Item, Review
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


# Metric columns of Item that the item list filters and sorts by.
METRIC_COLUMNS = ("fact_count", "density", "coverage", "vqa_support")
SORTS = ("id", "priority", *METRIC_COLUMNS)
NO_CAPTION = "none"


@dataclass(frozen=True)
class ItemFilters:
    """The item-list filters. Metric bounds: ``_min`` and ``_max`` inclusive, ``_below``
    exclusive (a histogram bin is ``[low, high)``); an item without the metric, or without a
    caption, matches no bound. ``origin`` is the current caption's origin, or ``"none"`` for
    items without a caption. ``has_kinds``/``lacks_kinds``: fact kinds the current caption must
    all have / all lack (an item without a caption matches neither)."""

    status: str | None = None
    origin: str | None = None
    fact_count_min: float | None = None
    fact_count_max: float | None = None
    fact_count_below: float | None = None
    density_min: float | None = None
    density_max: float | None = None
    density_below: float | None = None
    coverage_min: float | None = None
    coverage_max: float | None = None
    coverage_below: float | None = None
    vqa_support_min: float | None = None
    vqa_support_max: float | None = None
    vqa_support_below: float | None = None
    has_kinds: tuple[str, ...] = ()
    lacks_kinds: tuple[str, ...] = ()
    entity: str | None = None
    has_open_review: bool | None = None
    text: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, JSON-ready (a job's stored selection)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in self.__dict__.items()
            if value is not None and value != ()
        }


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def cursor_text(cursor: str) -> str:
    """The text inside an opaque cursor (URL-safe base64, padding dropped); ValueError when it
    is none."""
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor") from None


def decode_cursor(cursor: str) -> int:
    """The item id a cursor continues after; ValueError for anything this module did not write."""
    raw = cursor_text(cursor)
    prefix, _, number = raw.partition(":")
    if prefix != "id" or not number.isdigit():
        raise ValueError("not a cursor")
    return int(number)


@dataclass(frozen=True)
class SortCursor:
    """Where a page sorted by ``sort`` ended: the last item's sort value and id."""

    sort: str
    value: float | None
    last_id: int

    def encode(self) -> str:
        if self.sort == "id":
            return encode_cursor(self.last_id)
        value = "null" if self.value is None else repr(self.value)
        raw = f"sort:{self.sort}:{value}:{self.last_id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str, sort: str) -> SortCursor:
        """ValueError for anything this module did not write, or a cursor of another sort."""
        raw = cursor_text(cursor)
        if sort == "id":
            return cls("id", None, decode_cursor(cursor))
        parts = raw.split(":")
        if len(parts) != 4 or parts[0] != "sort" or parts[1] != sort or not parts[3].isdigit():
            raise ValueError("not a cursor")
        try:
            value = None if parts[2] == "null" else float(parts[2])
        except ValueError:
            raise ValueError("not a cursor") from None
        if value is not None and not math.isfinite(value):
            raise ValueError("not a cursor")
        return cls(sort, value, int(parts[3]))


def item_list(
    *,
    dataset: Dataset,
    filters: ItemFilters,
    after: SortCursor | None,
    limit: int,
    sort: str = "id",
) -> tuple[list[Item], SortCursor | None]:
    """One page of a dataset's items in ``sort`` order, and where the next page starts.

    ``sort`` is ``id`` or a metric column or ``priority``, ``-`` in front for descending; ties
    go by id, and items without the metric come last. Keyset pagination: every page costs what
    the first does, at any depth. A metric sort reads the items with the metric through the
    metric's index first, then those without it by id, so neither part needs an OR that would
    keep the index from serving the order.
    """
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    items = filtered_items(dataset=dataset, filters=filters).select_related("current_caption")
    if column == "id":
        if after is not None:
            items = (
                items.filter(pk__lt=after.last_id)
                if descending
                else items.filter(pk__gt=after.last_id)
            )
        page = list(items.order_by("-pk" if descending else "pk")[: limit + 1])
    else:
        page = []
        # An item without a caption has no metric, whatever its columns hold (an uncaptioned
        # item with VQA pairs stores a coverage and VQA support of 0): it sorts with the
        # items without the metric.
        has_value = Q(**{f"{column}__isnull": False})
        if column != "priority":
            has_value &= Q(current_caption__isnull=False)
        if after is None or after.value is not None:
            valued = items.filter(has_value)
            if after is not None:
                # The first bound lets the (dataset, column) index start at the cursor.
                near, beyond = ("lte", "lt") if descending else ("gte", "gt")
                valued = valued.filter(**{f"{column}__{near}": after.value}).filter(
                    Q(**{f"{column}__{beyond}": after.value})
                    | Q(**{column: after.value, "pk__gt": after.last_id})
                )
            order = F(column).desc() if descending else F(column).asc()
            page = list(valued.order_by(order, "pk")[: limit + 1])
        if len(page) <= limit:
            unvalued = items.exclude(has_value)
            if after is not None and after.value is None:
                unvalued = unvalued.filter(pk__gt=after.last_id)
            page += list(unvalued.order_by("pk")[: limit + 1 - len(page)])
    has_more = len(page) > limit
    page = page[:limit]
    if not has_more:
        return page, None
    last = page[-1]
    value = None if column == "id" else getattr(last, column)
    return page, SortCursor(sort, value, last.pk)


def filtered_items(*, dataset: Dataset, filters: ItemFilters) -> QuerySet[Item]:
    """A dataset's items that pass the item-list filters (also a caption job's selection, the
    overview's and the gap finder's population)."""
    items = Item.objects.filter(dataset=dataset)
    if filters.status is not None:
        items = items.filter(status=filters.status)
    if filters.origin == NO_CAPTION:
        items = items.filter(current_caption__isnull=True)
    elif filters.origin is not None:
        items = items.filter(current_caption__origin=filters.origin)
    bounds = [
        (f"{metric}__{lookup}", getattr(filters, f"{metric}_{end}"))
        for metric in METRIC_COLUMNS
        for end, lookup in (("min", "gte"), ("max", "lte"), ("below", "lt"))
        if getattr(filters, f"{metric}_{end}") is not None
    ]
    if bounds or filters.lacks_kinds:
        # The bounds and kinds describe the current caption, so an item without one matches
        # none (its stored coverage and VQA support of 0 only say that nothing states its
        # references), as the overview's current stage and the gap summary count them. An
        # item without the metric (no reference facts, no VQA pairs) matches no bound either:
        # NULL compares as unknown.
        items = items.filter(current_caption__isnull=False)
    for lookup, bound in bounds:
        items = items.filter(**{lookup: bound})
    for kind in filters.has_kinds:
        items = items.filter(kind_counts__has_key=kind)
    for kind in filters.lacks_kinds:
        items = items.exclude(kind_counts__has_key=kind)
    if filters.entity is not None:
        items = items.filter(
            Exists(
                Fact.objects.filter(
                    caption_id=OuterRef("current_caption_id"), entity__key=filters.entity
                )
            )
        )
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
