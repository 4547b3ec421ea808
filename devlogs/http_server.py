"""What daphne's HTTP layer (Twisted) answers before Django sees a request, made to answer like us.

Left alone, Twisted parsed form bodies itself and answered a multipart body without a boundary
with a bare 400; dropped the connection without a word on a request line or header longer than
16 KB (a 32 KB URL); and dropped a connection whose body stalled. Here: form bodies reach
Django (which answers 415 in the JSON error shape); an over-long request line gets 414, over-large
headers 431, a request whose headers or body stop arriving 408 after DEVLOGS_HTTP_IDLE_SECONDS —
each with the JSON error shape, then the connection closes. Applied once, from devlogs/asgi.py,
only where daphne serves us; Twisted's own switches and hooks are used where it has them.
"""

import json
import logging

log = logging.getLogger("devlogs.http")
_REASONS = {408: b"Request Timeout", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def _answer_and_close(channel, status: int, code: str, message: str) -> None:
    body = json.dumps({"error": {"status": status, "code": code, "message": message, "field": None}}).encode()
    channel.transport.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                            b"Connection: close\r\n\r\n%s" % (status, _REASONS[status], len(body), body))
    channel.loseConnection()


def _too_long(channel) -> None:
    if channel._HTTPChannel__first_line:  # still waiting for the request line: it is the long one
        _answer_and_close(channel, 414, "uri_too_long", "The request line (URL) is too long.")
    else:
        _answer_and_close(channel, 431, "headers_too_large", "The request's headers are too large.")


def harden(idle_seconds: float) -> None:
    try:
        from daphne.http_protocol import HTTPFactory, WebRequest
        from twisted.web import http
    except ImportError:  # another ASGI server
        return
    if getattr(http.HTTPChannel, "_devlogs_hardened", False):
        return
    channel_class = http.HTTPChannel

    request_init = WebRequest.__init__

    def web_request_init(self, *args, **kwargs):
        request_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False  # Twisted's switch: daphne never used what it parsed

    line_received = channel_class.lineReceived

    def checked_line_received(self, line):
        if self._receivedHeaderSize + len(line) > self.totalHeadersSize:
            return _too_long(self)
        return line_received(self, line)

    def line_length_exceeded(self, line):
        return _too_long(self)

    timeout_connection = channel_class.timeoutConnection

    def answering_timeout(self):
        # Mid-request (the request line came, the request is not complete): say so before closing.
        if not self._handlingRequest and not self._HTTPChannel__first_line and self.transport is not None:
            log.info("request stalled for %ss: 408", idle_seconds)
            _answer_and_close(self, 408, "request_timeout",
                              f"The request stopped arriving for {idle_seconds:g} seconds.")
            return
        return timeout_connection(self)

    build_protocol = HTTPFactory.buildProtocol

    def build_with_idle_timeout(self, addr):
        protocol = build_protocol(self, addr)
        protocol.timeOut = idle_seconds
        return protocol

    WebRequest.__init__ = web_request_init
    channel_class.lineReceived = checked_line_received
    channel_class.lineLengthExceeded = line_length_exceeded
    channel_class.timeoutConnection = answering_timeout
    HTTPFactory.buildProtocol = build_with_idle_timeout
    channel_class._devlogs_hardened = True
