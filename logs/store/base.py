"""The one interface every log store implements; callers see plain values, never an engine.

Every method that reads or deletes is scoped to one tenant: a Search carries its caller's tenant,
the others take `tenant_id`. Entries are dicts in the public shape of logs.entries (what the API
answers); times are timezone-aware datetimes; counts are ints.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from logs.search import Search
from logline.envelope import Envelope


class Page(NamedTuple):
    entries: list[dict]
    next_cursor: str | None  # None on the last page


class Deleted(NamedTuple):
    deleted: int
    more: bool  # lines still match: call again


class LogStore(Protocol):
    def write(self, envelopes: list[Envelope]) -> int:
        """Store the lines atomically, each event id once (a re-write is a no-op); returns the lines offered."""

    def search(self, search: Search, *, limit: int, cursor: str | None = None, newest_first: bool = True) -> Page:
        """Up to `limit` entries in (time, id) order after `cursor` (CursorError if not ours): no gaps, no repeats."""

    def count(self, search: Search) -> int:
        """The exact number of lines the search matches."""

    def count_at_most(self, search: Search, *, limit: int) -> int:
        """min(count(search), limit): stops reading after `limit` matching lines, so a search that
        matches millions costs no more than reading `limit` of them."""

    def entry(self, *, tenant_id: int, event_id: UUID) -> dict | None:
        """The tenant's line with this event id, or None."""

    def context(self, *, tenant_id: int, event_id: UUID, before: int, after: int) -> dict | None:
        """{"entry", "before", "after"}: nearest lines of its app (and host), oldest first; None if not found."""

    def histogram(self, search: Search, *, interval_seconds: int) -> list[dict]:
        """[{"time", "level", "count"}] by time, then severity; buckets from 2000-01-01Z; sums to count()."""

    def facets(self, search: Search, names: list[str], *, limit: int) -> dict[str, list[dict]]:
        """name → up to `limit` [{"value": text, "count"}], most lines first; UnknownFacet for a bad name."""

    def export(self, search: Search, *, newest_first: bool, page_size: int) -> Iterator[list[dict]]:
        """Every matching entry in (time, id) order, in lists of at most `page_size` (bounded memory)."""

    def delete(self, search: Search, *, max_rows: int) -> Deleted:
        """Delete at most `max_rows` matching lines, oldest first, in short batches."""

    def delete_older_than(self, *, tenant_id: int, cutoff: datetime, batch_size: int) -> int:
        """Retention: delete the tenant's lines with time < cutoff, in batches; returns lines deleted."""

    def drop_older_than(self, *, days: int) -> int:
        """Drop whole partitions older than `days`, all tenants, where the engine has them; returns how many."""

    def maintain(self) -> dict[str, int]:
        """Periodic upkeep the engine needs (columnstore moves, aggregate refresh); idempotent."""
