"""Top values, with counts, of a field over a search's lines: for the facet panel and autocomplete."""

import orjson
from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform

from logline.levels import level_name

COLUMNS = {"level": "level", "app": "app_id", "service": "service", "host": "host"}
ATTRIBUTE_PREFIXES = ("attributes.", "attr.")


class UnknownFacet(ValueError):
    pass


def facet_field(name: str):
    """The column or JSON key path of a facet name; UnknownFacet otherwise."""
    if name in COLUMNS:
        return COLUMNS[name]
    for prefix in ATTRIBUTE_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            path = name[len(prefix):].split(".")
            if all(path):
                return path
    raise UnknownFacet(f"Unknown facet '{name[:100]}'; use level, app, service, host or attributes.<key>.")


def facets(search, names: list[str], *, limit: int = 10) -> dict[str, list[dict]]:
    queryset = search.queryset()
    slugs = search.caller.app_slugs()
    result = {}
    for name in names:
        field = facet_field(name)
        if isinstance(field, list):
            expression = KeyTextTransform(field[-1], "attributes")
            if len(field) > 1:
                expression = KeyTextTransform(field[-1], _json_path(field[:-1]))
            rows = (queryset.annotate(value=expression).exclude(value__isnull=True).values("value")
                    .annotate(count=Count("id")).order_by("-count", "value")[:limit])
            # As text on every database (PostgreSQL's ->> gives text, SQLite's JSON_EXTRACT the JSON value).
            result[name] = [{"value": _text(row["value"]), "count": row["count"]} for row in rows]
            continue
        rows = queryset.values(field).annotate(count=Count("id")).order_by("-count", field)[:limit]
        result[name] = [{"value": label(name, row[field], slugs), "count": row["count"]} for row in rows]
    return result


def _json_path(keys: list[str]):
    from django.db.models.fields.json import KeyTransform

    expression = KeyTransform(keys[0], "attributes")
    for key in keys[1:]:
        expression = KeyTransform(key, expression)
    return expression


def _text(value) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def label(name: str, value, slugs: dict) -> str:
    """A facet value as people read it: level names, app slugs."""
    if name == "level":
        return level_name(value)
    if name == "app":
        return slugs.get(value, str(value))
    return value
