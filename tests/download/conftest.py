"""A local HTTP server on 127.0.0.1 that imitates a checkpoint host and Google Drive's confirm page."""
from __future__ import annotations

import http.server
import random
import re
import socket
import threading
import urllib.parse
from dataclasses import dataclass, field

import pytest

DRIVE_UUID = 'test-uuid-1234'


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)   # path -> content
    drive_files: dict[str, bytes] = field(default_factory=dict)  # Drive id -> content
    honor_range: bool = True
    wrong_range: bool = False        # 206 replies that start at byte 0 whatever was asked
    drop_after: int | None = None    # cut the body after this many bytes ...
    drops_left: int = 0              # ... for this many responses
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path with query, Range)


class _Handler(http.server.BaseHTTPRequestHandler):
    state: ServerState

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        state = self.server.state
        state.requests.append((self.path, self.headers.get('Range')))
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == '/uc' and query.get('id') in state.drive_files:
            self._send_html(_confirm_page(query['id']))
        elif url.path == '/download' and query.get('id') in state.drive_files:
            if query.get('confirm') == 't' and query.get('uuid') == DRIVE_UUID:
                self._send_body(state.drive_files[query['id']])
            else:
                self._send_html(_confirm_page(query['id']))
        elif url.path == '/quota':
            self._send_html('<html><head><title>Google Drive - Quota exceeded</title></head>'
                            '<body>Too many users have viewed or downloaded this file recently.</body></html>')
        elif url.path in state.files:
            self._send_body(state.files[url.path])
        else:
            self.send_error(404, 'Not Found')

    def _send_html(self, page: str) -> None:
        data = page.encode()
        self.send_response(200)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_body(self, data: bytes) -> None:
        state = self.server.state
        start = 0
        match = re.fullmatch(r'bytes=(\d+)-', self.headers.get('Range') or '')
        if match and state.honor_range:
            start = int(match.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header('Content-Range', f'bytes */{len(data)}')
                self.send_header('Content-Length', '0')
                self.end_headers()
                return
            if state.wrong_range:
                start = 0
            self.send_response(206)
            self.send_header('Content-Range', f'bytes {start}-{len(data) - 1}/{len(data)}')
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if state.drops_left > 0 and state.drop_after is not None:
            state.drops_left -= 1
            self.wfile.write(body[:state.drop_after])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client closed early on purpose (e.g. it rejected the range); nothing to serve


def _confirm_page(file_id: str) -> str:
    return f'''<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>
<p>Google Drive can't scan this file for viruses.</p>
<form id="download-form" action="/download" method="get">
<input type="submit" id="uc-download-link" value="Download anyway"/>
<input type="hidden" name="id" value="{file_id}">
<input type="hidden" name="export" value="download">
<input type="hidden" name="confirm" value="t">
<input type="hidden" name="uuid" value="{DRIVE_UUID}">
</form></body></html>'''


class LocalServer:
    """Context manager: ``with LocalServer() as srv: srv.url('/file')``."""

    def __init__(self) -> None:
        self.state = ServerState()
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self._server.daemon_threads = True
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=dict(poll_interval=0.05),
                                        daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f'http://{host}:{port}{path}'

    def __enter__(self) -> 'LocalServer':
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def payload():
    """1 MiB + a bit of deterministic pseudo-random bytes (not a multiple of the chunk size)."""
    return random.Random(5).randbytes((1 << 20) + 12345)
