"""The one check of a query typed into the API (saved searches, dashboard widgets, alert rules):
a DRF ValidationError that says where the query went wrong."""

from rest_framework import serializers

from logs.querylang import QueryError, parse


def validate_query_text(value: str) -> str:
    try:
        parse(value)
    except QueryError as exc:
        raise serializers.ValidationError(f"{exc.message} (at character {exc.position})") from None
    return value
