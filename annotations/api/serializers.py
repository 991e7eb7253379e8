from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CurrentUserOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    is_staff = serializers.BooleanField(read_only=True)
