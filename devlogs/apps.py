from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class DevlogsConfig(AppConfig):
    """The project itself as an app: for what must happen once Django is set up, not at import."""

    name = "devlogs"
    verbose_name = "devlogs"

    def ready(self):
        # The embedded database, queue and collected static files live here (settings only name them).
        for folder in (settings.DATA_DIR, settings.STATIC_ROOT):
            Path(folder).mkdir(parents=True, exist_ok=True)
