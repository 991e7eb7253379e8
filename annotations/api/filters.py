"""The item-list filters, one definition for every endpoint that takes them.

The item list, a caption job's selection, the priority action, the overview, the gap summary
and the compare view all select items the same way, so a number on the overview and the item
list it links to always describe the same items.
"""

from __future__ import annotations

import math
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from annotations.models import Caption, Fact, Item
from annotations.selectors.items import METRIC_COLUMNS, NO_CAPTION, ItemFilters

ORIGINS = (*Caption.Origin.values, NO_CAPTION)
BOUNDS = ("min", "max", "below")


class FiniteFloatField(serializers.FloatField):
    """A number that is finite: ``inf``, ``nan`` and 1e400 are refused, not compared."""

    def to_internal_value(self, data: Any) -> float:
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("invalid")
        return value


# The largest bound the unbounded metrics take: far above any stored value, and within the
# range of the integer column that fact counts are compared with.
LARGEST = 1_000_000


def _kinds(value: str) -> tuple[str, ...]:
    kinds = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [kind for kind in kinds if kind not in Fact.Kind.values]
    if unknown or not kinds:
        raise ValidationError(
            f"Comma-separated fact kinds of {', '.join(Fact.Kind.values)}; "
            f"not {', '.join(unknown) or 'empty'}."
        )
    return kinds


class ItemFilterFields(serializers.Serializer[Any]):
    """Declares the filters; ``item_filters`` turns validated values into ``ItemFilters``."""

    status = serializers.ChoiceField(choices=Item.Status.choices, required=False)
    origin = serializers.ChoiceField(choices=ORIGINS, required=False)
    fact_count_min = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    fact_count_max = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    fact_count_below = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    density_min = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    density_max = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    density_below = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    coverage_min = FiniteFloatField(required=False, min_value=0, max_value=1)
    coverage_max = FiniteFloatField(required=False, min_value=0, max_value=1)
    coverage_below = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    vqa_support_min = FiniteFloatField(required=False, min_value=0, max_value=1)
    vqa_support_max = FiniteFloatField(required=False, min_value=0, max_value=1)
    vqa_support_below = FiniteFloatField(required=False, min_value=0, max_value=LARGEST)
    has_kind = serializers.CharField(required=False, max_length=200)
    lacks_kind = serializers.CharField(required=False, max_length=200)
    entity = serializers.CharField(required=False, max_length=300)
    has_open_review = serializers.BooleanField(required=False)
    q = serializers.CharField(required=False, max_length=200)

    def validate_has_kind(self, value: str) -> tuple[str, ...]:
        return _kinds(value)

    def validate_lacks_kind(self, value: str) -> tuple[str, ...]:
        return _kinds(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        for metric in METRIC_COLUMNS:
            low = attrs.get(f"{metric}_min")
            for end in ("max", "below"):
                high = attrs.get(f"{metric}_{end}")
                if low is not None and high is not None and low > high:
                    raise ValidationError({f"{metric}_min": [f"Must not exceed {metric}_{end}."]})
        both = set(attrs.get("has_kind", ())) & set(attrs.get("lacks_kind", ()))
        if both:
            raise ValidationError(
                {"lacks_kind": [f"A kind cannot be both present and missing: {', '.join(both)}."]}
            )
        return attrs


def item_filters(values: dict[str, Any]) -> ItemFilters:
    return ItemFilters(
        status=values.get("status"),
        origin=values.get("origin"),
        **{f"{m}_{end}": values.get(f"{m}_{end}") for m in METRIC_COLUMNS for end in BOUNDS},
        has_kinds=tuple(values.get("has_kind", ())),
        lacks_kinds=tuple(values.get("lacks_kind", ())),
        entity=values.get("entity"),
        has_open_review=values.get("has_open_review"),
        text=values.get("q"),
    )


def _bound_parameters() -> list[OpenApiParameter]:
    described = {
        "fact_count": "Facts in the current caption",
        "density": "Facts per 100 words",
        "coverage": "Share of reference facts, 0 to 1",
        "vqa_support": "Share of VQA pairs supported, 0 to 1",
    }
    words = {"min": "at least", "max": "at most", "below": "less than"}
    return [
        OpenApiParameter(f"{metric}_{end}", float, description=f"{described[metric]}, {word}.")
        for metric in METRIC_COLUMNS
        for end, word in words.items()
    ]


ITEM_FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=Item.Status.values),
    OpenApiParameter(
        "origin",
        str,
        enum=list(ORIGINS),
        description="Origin of the current caption; none: items without a caption.",
    ),
    *_bound_parameters(),
    OpenApiParameter(
        "has_kind", str, description="Comma-separated fact kinds the current caption all has."
    ),
    OpenApiParameter(
        "lacks_kind", str, description="Comma-separated fact kinds the current caption all lacks."
    ),
    OpenApiParameter(
        "entity", str, description="Key of a knowledge-base entity a current fact links to."
    ),
    OpenApiParameter("has_open_review", bool),
    OpenApiParameter("q", str, description="Words that the current caption contains."),
]
