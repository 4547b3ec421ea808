"""The PostgreSQL engine (`ENGINE = "devlogs.db_backend"`): Django's, with TimescaleDB where it is
usable, decided on the database's own connection the first time a migration asks, never while
settings load (no I/O at import).

DEVLOGS_TIMESCALE: `auto` (TimescaleDB where devlogs/timescale_probe.py finds it usable), `on`,
`off`. With TimescaleDB, migrations run django-timescaledb's way (`CREATE EXTENSION`, the log
table made a hypertable); without, Django's own. Nothing else differs: what runs at query time
asks the database itself (logs/timescale.py).
"""

from django.conf import settings
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper
from django.db.backends.postgresql.schema import DatabaseSchemaEditor
from timescale.db.backends.postgresql.base import DatabaseWrapper as TimescaleWrapper
from timescale.db.backends.postgresql.schema import TimescaleSchemaEditor

from devlogs.timescale_probe import timescale_usable


class DatabaseWrapper(TimescaleWrapper):
    _uses_timescale: bool | None = None

    @property
    def uses_timescale(self) -> bool:
        if self._uses_timescale is None:
            mode = settings.DEVLOGS_TIMESCALE
            self._uses_timescale = mode == "on" or (mode == "auto" and timescale_usable(self))
        return self._uses_timescale

    def prepare_database(self):
        if self.uses_timescale:
            super().prepare_database()  # CREATE EXTENSION IF NOT EXISTS timescaledb
        else:
            PostgreSQLWrapper.prepare_database(self)

    def schema_editor(self, *args, **kwargs):
        editor = TimescaleSchemaEditor if self.uses_timescale else DatabaseSchemaEditor
        return editor(self, *args, **kwargs)
