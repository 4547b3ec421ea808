"""Streamed export of a search: NDJSON or CSV, optionally gzip, any number of rows in bounded memory.

The store (logs.store) hands the rows over in pages of EXPORT_PAGE, written as they come; an async
iterator, because under ASGI Django would otherwise collect a synchronous iterator into a list first.
"""

import csv
import io
import zlib

import orjson
from channels.db import database_sync_to_async

from logs.store import get_store

EXPORT_PAGE = 5000
CSV_COLUMNS = ["time", "received_at", "app", "level", "service", "host", "trace_id", "span_id", "id", "message",
               "attributes"]


def _ndjson(entries: list[dict]) -> bytes:
    return b"".join(orjson.dumps(entry) + b"\n" for entry in entries)


def _csv_header() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(CSV_COLUMNS)
    return buffer.getvalue().encode()


# A spreadsheet evaluates a cell that starts with one of these as a formula (=HYPERLINK(...) in a
# log line would become a link, or worse): OWASP's rule is to make such a cell plain text with a
# leading single quote. The NDJSON export stays exact.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv(entries: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for entry in entries:
        writer.writerow([_cell(orjson.dumps(entry["attributes"]).decode() if column == "attributes" else entry[column])
                         for column in CSV_COLUMNS])
    return buffer.getvalue().encode()


async def stream(search, *, fmt: str, newest_first: bool, gzip: bool):
    """Bytes of the export, as an async iterator."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31) if gzip else None

    def out(data: bytes) -> bytes:
        return compressor.compress(data) if compressor else data

    if fmt == "csv":
        yield out(_csv_header())
    encode = _csv if fmt == "csv" else _ndjson
    pages = get_store().export(search, newest_first=newest_first, page_size=EXPORT_PAGE)
    # Like a request, each page first drops a connection that died meanwhile (a database restart),
    # which a plain sync_to_async would hand to the query.
    next_page = database_sync_to_async(lambda: next(pages, None))
    while (entries := await next_page()) is not None:
        chunk = out(encode(entries))
        if chunk:
            yield chunk
    if compressor:
        yield compressor.flush()
