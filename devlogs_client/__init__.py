"""A standard-library-only client for devlogs: `from devlogs_client import DevlogsHandler`."""

from devlogs_client.handler import DevlogsHandler

__all__ = ["DevlogsHandler"]
