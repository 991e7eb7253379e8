"""StrictSerializer takes each field's value only in the JSON type the schema gives it."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from annotations.api.common import StrictSerializer


class NoteInput(StrictSerializer):
    title = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False, allow_null=True)
    ratio = serializers.FloatField(required=False)
    flag = serializers.BooleanField(required=False)
    span = serializers.ListField(child=serializers.IntegerField(), required=False)
    choice = serializers.ChoiceField(choices=["a", "b"], required=False)


def errors(data: dict[str, Any]) -> dict[str, list[str]]:
    note = NoteInput(data=data)
    note.is_valid()
    return {name: [str(message) for message in messages] for name, messages in note.errors.items()}


@pytest.mark.parametrize(
    "data",
    [
        {"title": "x", "count": 3, "ratio": 0.5, "flag": False, "span": [0, 4], "choice": "a"},
        {"ratio": 1},  # an integer is a number
        {"count": None},  # null is the field's own business: allowed here
    ],
)
def test_values_of_the_declared_type_are_taken(data: dict[str, Any]) -> None:
    assert errors(data) == {}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"title": 0}, {"title": ["Not a valid string."]}),
        ({"title": 1.5}, {"title": ["Not a valid string."]}),
        ({"count": "3"}, {"count": ["A valid integer is required."]}),
        ({"count": 3.0}, {"count": ["A valid integer is required."]}),
        ({"count": True}, {"count": ["A valid integer is required."]}),
        ({"ratio": "0.5"}, {"ratio": ["A valid number is required."]}),
        ({"ratio": False}, {"ratio": ["A valid number is required."]}),
        ({"flag": "true"}, {"flag": ["Must be a valid boolean."]}),
        ({"flag": 1}, {"flag": ["Must be a valid boolean."]}),
        ({"span": [0, "4"]}, {"span": ["A valid integer is required."]}),
        (
            {"title": 0, "is_staff": True},
            {"is_staff": ["Unknown field."], "title": ["Not a valid string."]},
        ),
    ],
)
def test_values_of_another_json_type_are_refused(
    data: dict[str, Any], expected: dict[str, list[str]]
) -> None:
    assert errors(data) == expected
