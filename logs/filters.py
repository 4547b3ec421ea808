"""The filters people use today (app, minimum level, time range, text), applied in one way
to database queries and to live lines. The full query language replaces the text part later.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from ingest.timestamps import parse_timestamp
from logs import lookups  # noqa: F401  (registers message__ilike_contains)
from logs.entries import ns_to_datetime
from accounts.models import App, Tenant
from logs.levels import NUMBERS, level_name, parse_level

MAX_TEXT = 1000


class FilterError(ValueError):
    def __init__(self, field: str, code: str, message: str):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message


@dataclass(frozen=True)
class LogFilters:
    app: str | None = None
    min_level: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None

    @classmethod
    def from_params(cls, params) -> "LogFilters":
        def get(name):
            value = params.get(name)
            if value is None:
                return None
            if not isinstance(value, str):
                raise FilterError(name, f"invalid_{name}", f"'{name}' must be a string.")
            return value.strip() or None

        level = get("level")
        try:
            min_level = parse_level(level) if level is not None else None
        except ValueError as exc:
            raise FilterError("level", "invalid_level", str(exc)) from None
        since, until = cls._time(get("since"), "since"), cls._time(get("until"), "until")
        if since and until and since > until:
            raise FilterError("since", "invalid_range", "'since' is after 'until'.")
        text = get("q")
        if text and len(text) > MAX_TEXT:
            raise FilterError("q", "invalid_q", f"'q' is longer than {MAX_TEXT} characters.")
        return cls(app=get("app"), min_level=min_level, since=since, until=until, text=text)

    @staticmethod
    def _time(value: str | None, name: str) -> datetime | None:
        if value is None:
            return None
        try:
            return ns_to_datetime(parse_timestamp(value))
        except ValueError as exc:
            raise FilterError(name, f"invalid_{name}", str(exc)) from None

    def as_dict(self) -> dict:
        return {"app": self.app, "level": self.min_level and level_name(self.min_level),
                "since": self.since and self.since.isoformat(), "until": self.until and self.until.isoformat(),
                "q": self.text}

    def app_id(self, tenant: Tenant) -> int | None:
        """The id of the filtered app within the tenant; FilterError when it has no such app."""
        if not self.app:
            return None
        app_id = App.objects.filter(tenant=tenant, slug=self.app).values_list("id", flat=True).first()
        if app_id is None:
            raise FilterError("app", "unknown_app", f"This tenant has no app '{self.app[:100]}'.")
        return app_id

    def apply(self, queryset: QuerySet, tenant: Tenant) -> QuerySet:
        """Narrow a queryset already scoped to `tenant`."""
        if self.app:
            queryset = queryset.filter(app_id=self.app_id(tenant))
        if self.min_level is not None:
            queryset = queryset.filter(level__gte=self.min_level)
        if self.since:
            queryset = queryset.filter(time__gte=self.since)
        if self.until:
            queryset = queryset.filter(time__lt=self.until)
        if self.text:
            queryset = queryset.filter(message__ilike_contains=self.text)
        return queryset

    def matches(self, entry: dict) -> bool:
        """The same test for one entry in its public shape (live feed)."""
        if self.app and entry["app"] != self.app:
            return False
        if self.min_level is not None and NUMBERS[entry["level"]] < self.min_level:
            return False
        if self.text and self.text.lower() not in entry["message"].lower():
            return False
        return True
