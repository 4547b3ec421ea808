"""Which apps exist, for the processor: a message naming an app that does not (deleted since, or
never) is dead-lettered as unknown_app instead of being stored under no app."""

from accounts.models import App


class AppDirectory:
    """app id → tenant id, from the database; what was found is kept (an app never changes
    tenant), what was not is asked again next time (it may have been created since)."""

    def __init__(self):
        self._tenant_of: dict[int, int] = {}

    def known(self, tenant_id: int, app_id: int) -> bool:
        if app_id not in self._tenant_of:
            found = App.objects.filter(pk=app_id).values_list("tenant_id", flat=True).first()
            if found is None:
                return False
            self._tenant_of[app_id] = found
        return self._tenant_of[app_id] == tenant_id
