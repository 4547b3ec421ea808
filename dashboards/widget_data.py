"""A widget's numbers, computed by the same log store calls the explorer's endpoints use.

timeseries → store.histogram (one call per series), top_values → store.facets, single_number →
store.count, log_list → store.search. So a widget shows exactly what /api/v1/logs/histogram,
/facets and /logs answer for the same query and range.
"""

from dataclasses import replace
from datetime import datetime, timedelta

from devlogs.errors import ApiError
from logs.facet_values import value_filter
from logs.histogram import MAX_BUCKETS, auto_interval
from logs.querylang import parse
from logs.search import Search
from logs.store import get_store

# The explorer's relative ranges (frontend/src/timeRange.ts), plus a few longer ones for dashboards.
PRESETS = {"5m": 300, "15m": 900, "30m": 1800, "1h": 3600, "3h": 3 * 3600, "6h": 6 * 3600, "12h": 12 * 3600,
           "24h": 86400, "2d": 2 * 86400, "7d": 7 * 86400, "30d": 30 * 86400}
DEFAULTS = {"series": 5, "top_limit": 10, "log_limit": 50}


def resolve_range(time_range: dict, now: datetime) -> tuple[datetime, datetime]:
    """A dashboard's stored range as (since, until); a relative one ends now."""
    if "range" in time_range:
        return now - timedelta(seconds=PRESETS[time_range["range"]]), now
    return datetime.fromisoformat(time_range["since"]), datetime.fromisoformat(time_range["until"])


def widget_data(*, caller, kind: str, query: str, split_by: str, options: dict, since: datetime,
                until: datetime) -> dict:
    search = Search(caller=caller, node=parse(query), since=since, until=until)
    store = get_store()
    if kind == "single_number":
        return {"value": store.count(search)}
    if kind == "top_values":
        limit = options.get("limit", DEFAULTS["top_limit"])
        return {"field": split_by, "values": store.facets(search, [split_by], limit=limit)[split_by],
                "total": store.count(search)}
    if kind == "log_list":
        entries, next_cursor = store.search(search, limit=options.get("limit", DEFAULTS["log_limit"]))
        return {"entries": entries, "next_cursor": next_cursor}
    return _timeseries(search, split_by, options)


def _timeseries(search: Search, split_by: str, options: dict) -> dict:
    interval = options.get("interval") or auto_interval(search.since, search.until)
    if (search.until - search.since).total_seconds() / interval > 10 * MAX_BUCKETS:
        raise ApiError(400, "too_many_buckets", f"The widget's interval makes more than {10 * MAX_BUCKETS} buckets "
                       "over this range; choose a longer interval or a shorter range.", field="interval")
    store = get_store()
    buckets = store.histogram(search, interval_seconds=interval)
    total = _by_time(buckets)
    if not split_by:
        series = [{"value": None, "buckets": _as_list(total)}]
        return {"interval": interval, "series": series, "other": None}
    if split_by == "level":
        levels = {}
        for bucket in buckets:
            levels.setdefault(bucket["level"], []).append({"time": bucket["time"], "count": bucket["count"]})
        ranked = sorted(levels.items(), key=lambda item: -sum(b["count"] for b in item[1]))
        return {"interval": interval, "series": [{"value": v, "buckets": b} for v, b in ranked], "other": None}
    top = store.facets(search, [split_by], limit=options.get("series", DEFAULTS["series"]))[split_by]
    series, rest = [], dict(total)
    for row in top:
        counts = _by_time(store.histogram(replace(search, extra=value_filter(split_by, row["value"])),
                                          interval_seconds=interval))
        for time, count in counts.items():
            rest[time] -= count
        series.append({"value": row["value"], "buckets": _as_list(counts)})
    other = {time: count for time, count in rest.items() if count > 0}
    return {"interval": interval, "series": series, "other": {"buckets": _as_list(other)} if other else None}


def _by_time(buckets: list[dict]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for bucket in buckets:
        totals[bucket["time"]] = totals.get(bucket["time"], 0) + bucket["count"]
    return totals


def _as_list(counts: dict[str, int]) -> list[dict]:
    return [{"time": time, "count": count} for time, count in sorted(counts.items())]
