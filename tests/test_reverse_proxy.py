"""The documented nginx config (deploy/nginx/devlogs.conf) in front of a real server: ingest,
the WebSocket live tail and the SSE stream all work through it."""

import asyncio
import http.client
import os
import shutil
import subprocess
import time

import orjson
import pytest
import websockets

from tests.conftest import ROOT, free_port, http_post_logs, require_service

pytestmark = pytest.mark.live


@pytest.fixture
def proxy(server, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which(nginx):
        require_service("nginx", "install it with apt-get install nginx-light (scripts/test.sh does)")
    port = free_port()
    site = (ROOT / "deploy" / "nginx" / "devlogs.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server {server};").replace("listen 80;", f"listen 127.0.0.1:{port};")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
daemon off;
{"user root;" if os.geteuid() == 0 else ""}  # workers write body temp files under this test-only dir
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/site.conf;
}}
""")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 15
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v1/me")
            conn.getresponse().read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not start: {(tmp_path / 'error.log').read_text()[-1000:]}")
            time.sleep(0.1)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)


def test_ingest_websocket_and_sse_through_nginx(proxy, make_key):
    key = make_key()

    async def websocket_round_trip():
        async with websockets.connect(f"ws://{proxy}/ws/v1/tail", additional_headers={"X-API-Key": key}) as ws:
            await ws.send('{"type": "subscribe", "q": "through"}')
            while orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] != "subscribed":
                pass
            status, body, _ = await asyncio.to_thread(http_post_logs, proxy, key, [{"message": "through nginx"}])
            assert status == 202, body
            while True:
                message = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
                if message["type"] == "entries":
                    return [e["message"] for e in message["entries"]]

    assert asyncio.run(websocket_round_trip()) == ["through nginx"]

    conn = http.client.HTTPConnection(*proxy.split(":"), timeout=15)
    conn.request("GET", "/api/v1/logs/stream?q=sse", headers={"Authorization": f"Bearer {key}"})
    stream = conn.getresponse()
    assert stream.status == 200
    assert stream.readline() == b"retry: 2000\n"  # arrives at once: nginx does not buffer the stream
    assert http_post_logs(proxy, key, [{"message": "sse via nginx"}])[0] == 202
    while not (line := stream.readline()).startswith(b"data: "):
        pass
    assert [e["message"] for e in orjson.loads(line[6:])] == ["sse via nginx"]

    too_big = http_post_logs(proxy, key, [{"message": "x" * 1000}] * 5500)
    assert too_big[0] == 413 and too_big[1]["error"]["code"] == "body_too_large"  # the app's JSON, not nginx's page


def test_nginx_refusals_come_in_the_json_error_shape(proxy, make_key):
    from tests.conftest import raw_http

    def exchange(raw: bytes) -> tuple[int, dict]:
        return raw_http(proxy, raw)

    status, body = exchange(b"GET /api/v1/logs?q=" + b"a" * 32_000 + b" HTTP/1.1\r\nHost: localhost\r\n"
                            b"Connection: close\r\n\r\n")
    assert (status, body["error"]["code"]) == (414, "uri_too_long")
    status, body = exchange(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + b"b" * 20_000 +
                            b"\r\nConnection: close\r\n\r\n")
    assert (status, body["error"]["code"]) == (431, "headers_too_large")
    status, body = exchange(b"POST /api/v1/logs HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7000000\r\n"
                            b"Connection: close\r\n\r\n")
    assert (status, body["error"]["code"]) == (413, "body_too_large")
