"""devlogs_client.DevlogsHandler: records arrive with their fields, the caller never waits on the network,
and what cannot be delivered is counted and reported."""

import gzip
import http.server
import json
import logging
import socket
import threading
import time
import uuid

import pytest

from devlogs_client import DevlogsHandler
from devlogs_client.handler import level_name
from logline.levels import ERROR, INFO, WARN
from logs.models import LogEntry
from tests.conftest import free_port, wait_for


def make_logger(handler) -> logging.Logger:
    logger = logging.getLogger(f"test.devlogs.{uuid.uuid4().hex[:8]}")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


# --- records → lines ---------------------------------------------------------------------------------

def test_a_record_becomes_a_line_with_extra_fields_as_attributes():
    handler = DevlogsHandler("http://127.0.0.1:9", "k", service="shop", host="web-1")
    try:
        record = logging.LogRecord("shop.cart", logging.WARNING, "/app/cart.py", 42, "cart %s is %d items", ("A", 3),
                                   None, func="checkout")
        record.user_id, record.trace_id, record.cart = 7, "4bf92f3577b34da6a3ce929d0e0e4736", {"total": 9.5}
        line = handler.record_to_line(record)
    finally:
        handler.close()
    assert line["message"] == "cart A is 3 items"
    assert (line["level"], line["service"], line["host"]) == ("warn", "shop", "web-1")
    assert line["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert line["timestamp"] == round(record.created * 1e6) * 1000
    assert line["attributes"] == {"logger": "shop.cart", "module": "cart", "function": "checkout", "line": 42,
                                  "path": "/app/cart.py", "thread": record.threadName, "process": record.process,
                                  "user_id": 7, "cart": {"total": 9.5}}


def test_the_documented_django_logging_dict_builds_the_handler():
    import logging.config

    name = f"test.dictconfig.{uuid.uuid4().hex[:8]}"
    logging.config.dictConfig({
        "version": 1, "disable_existing_loggers": False,
        "handlers": {"devlogs": {"class": "devlogs_client.DevlogsHandler", "url": "https://devlogs.example.com/",
                                 "api_key": "dl_ingest_x", "service": "shop", "level": "INFO"}},
        "loggers": {name: {"handlers": ["devlogs"], "level": "INFO", "propagate": False}},
    })
    [handler] = logging.getLogger(name).handlers
    try:
        assert isinstance(handler, DevlogsHandler)
        assert (handler.url, handler.service, handler.level) == ("https://devlogs.example.com/api/v1/logs", "shop",
                                                                 logging.INFO)
    finally:
        handler.close()
        logging.getLogger(name).handlers = []


@pytest.mark.parametrize("levelno, name", [(5, "trace"), (10, "debug"), (15, "debug"), (20, "info"), (25, "info"),
                                           (30, "warn"), (40, "error"), (50, "fatal"), (60, "fatal")])
def test_custom_levels_fall_into_the_band_below(levelno, name):
    assert level_name(levelno) == name


# --- against a real server ---------------------------------------------------------------------------

@pytest.mark.live
def test_records_arrive_with_attributes_and_traceback(server, make_key):
    handler = DevlogsHandler(f"http://{server}", make_key(), flush_interval=0.1, service="shop")
    logger = make_logger(handler)

    logger.info("order placed", extra={"order_id": "A-17", "items": 3, "trace_id": "abc123"})
    try:
        {}["missing"]
    except KeyError:
        logger.exception("checkout failed for %s", "A-17")
    for i in range(1200):
        logger.warning("bulk %d", i, extra={"i": i})
    handler.close()

    assert (handler.sent, handler.dropped, handler.failed) == (1202, 0, 0)
    wait_for(lambda: LogEntry.objects.count() >= 1202, what="records stored", timeout=60)
    assert LogEntry.objects.count() == 1202
    placed = LogEntry.objects.get(message="order placed")
    assert (placed.level, placed.service, placed.trace_id) == (INFO, "shop", "abc123")
    assert placed.attributes["order_id"] == "A-17" and placed.attributes["items"] == 3
    assert placed.attributes["function"] == "test_records_arrive_with_attributes_and_traceback"
    assert placed.attributes["module"] == "test_logging_handler" and placed.attributes["line"] > 0
    failed = LogEntry.objects.get(message__startswith="checkout failed for A-17")
    assert failed.level == ERROR
    assert failed.attributes["exception"]["type"] == "KeyError"
    assert "Traceback (most recent call last)" in failed.attributes["exception"]["traceback"]
    assert "KeyError: 'missing'" in failed.message
    assert sorted(LogEntry.objects.filter(level=WARN).values_list("attributes__i", flat=True)) == list(range(1200))


# --- a dead server ----------------------------------------------------------------------------------------

def test_a_dead_server_never_blocks_the_caller_and_drops_are_reported(capsys):
    handler = DevlogsHandler(f"http://127.0.0.1:{free_port()}", "dl_ingest_x", max_buffer=1000, batch_size=100,
                             flush_interval=0.05, close_timeout=2)
    logger = make_logger(handler)

    started = time.monotonic()
    for i in range(10_000):
        logger.info("into the void %d", i)
    elapsed = time.monotonic() - started
    handler.close()

    assert elapsed < 60, "emit waited on the network"  # generous: only here to catch a hang
    assert handler.sent == 0
    assert handler.dropped == 10_000
    err = capsys.readouterr().err
    assert "log records dropped" in err
    assert "10000 dropped" in err


def test_a_hung_server_counts_the_batch_in_flight_as_dropped_once(capsys):
    """A server that takes the connection and never answers holds the sender in its request past
    close(): the batch it holds is dropped too, and counted once when the request finally ends."""
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # accepted by the kernel, never read, never answered
    try:
        handler = DevlogsHandler(f"http://127.0.0.1:{hung.getsockname()[1]}", "dl_ingest_x", batch_size=100,
                                 flush_interval=0.01, timeout=2, close_timeout=0.2)
        logger = make_logger(handler)
        for i in range(100):
            logger.info("held %d", i)
        wait_for(lambda: handler.requests == 1, what="the sender's request")
        for i in range(50):
            logger.info("buffered %d", i)

        handler.close()
        assert (handler.sent, handler.dropped) == (0, 150)

        handler._thread.join(10)  # the request times out; its batch must not be counted again
        assert not handler._thread.is_alive()
        assert (handler.sent, handler.dropped, handler.failed) == (0, 150, 0)
    finally:
        hung.close()


# --- retry policy, against a scripted HTTP server -----------------------------------------------------------

class Scripted(http.server.ThreadingHTTPServer):
    """Answers each POST with the next (status, headers, body) of its script; records what it got."""

    def __init__(self, script):
        self.script = list(script)
        self.received = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _ScriptedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ScriptedHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.received.append((time.monotonic(), dict(self.headers), body.decode().splitlines()))
            script = self.server.script
            status, headers, answer = script.pop(0) if len(script) > 1 else script[0]
        payload = json.dumps(answer).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json",
                            "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted():
    servers = []

    def start(*script):
        server = Scripted(script)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_refusals_that_retrying_cannot_fix_are_not_retried(scripted, capsys):
    server = scripted((401, {}, {"error": {"status": 401, "code": "authentication_failed", "message": "bad key"}}))
    handler = DevlogsHandler(server.url, "dl_ingest_wrong", flush_interval=0.05, close_timeout=5)
    logger = make_logger(handler)

    for i in range(3):
        logger.error("e%d", i)
    handler.close()

    assert len(server.received) == 1
    assert (handler.failed, handler.sent, handler.requests) == (3, 0, 1)
    assert "refused" in capsys.readouterr().err


def test_503_is_retried_after_retry_after_with_the_same_idempotency_key(scripted):
    server = scripted((503, {"Retry-After": "1"}, {"error": {"status": 503, "code": "queue_unavailable"}}),
                      (202, {}, {"accepted": 4, "rejected_count": 0, "rejected": [], "truncated": 0}))
    handler = DevlogsHandler(server.url, "dl_ingest_k", flush_interval=0.05, close_timeout=10)
    logger = make_logger(handler)

    for i in range(4):
        logger.info("m%d", i)
    assert handler.flush(timeout=0.5) is False  # the first attempt failed: flush does not wait out the backoff
    handler.close()

    (t1, h1, lines1), (t2, h2, lines2) = server.received
    assert h1["Idempotency-Key"] == h2["Idempotency-Key"]
    assert lines1 == lines2 and [json.loads(line)["message"] for line in lines1] == ["m0", "m1", "m2", "m3"]
    assert t2 - t1 >= 1.0  # Retry-After honoured
    assert (handler.sent, handler.dropped, handler.failed) == (4, 0, 0)
