"""A STAND-IN for Solr, only so that a real CKAN 2.12 starts and writes here.

This is not Solr and searches nothing. Solr cannot be installed on these
machines (see ../shared/reference/ckan-api.md, section 14), and CKAN refuses to
start without a Solr schema, then fails `package_create` / `organization_create`
when it cannot index. This loopback server answers only the calls CKAN makes
for that, and nothing else:

- the startup schema check: CKAN's own `schema.xml` from the installed wheel
  (`/schema?wt=schema.xml`, or `/admin/file/?file=schema.xml`);
- index writes (`/update`): read and acknowledged, never stored;
- queries (`/select`): always zero documents.

Only the real-CKAN harness (tests/remote_ckan/ckan_server.py) may start it, and
no test may assert a search result (`package_search`, facets, paging through
search) through it: those are checked against the reference document instead.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CORE_PATH = "/solr/ckan"

_ACK = {"responseHeader": {"status": 0, "QTime": 0}}
_NOTHING_FOUND = {
    "responseHeader": {"status": 0, "QTime": 0},
    "response": {"numFound": 0, "start": 0, "docs": []},
}


class SolrStandIn:
    """Serves CKAN's index calls on 127.0.0.1 in a daemon thread.

    `solr_url` is what goes into CKAN's `solr_url` setting. `update_calls`
    counts acknowledged index writes (a harness health figure, not a search
    result)."""

    def __init__(self, schema_xml: Path):
        self.schema = schema_xml.read_bytes()
        self.update_calls = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.solr_url = f"http://127.0.0.1:{self.port}{CORE_PATH}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="solr-standin", daemon=True
        )

    def start(self) -> SolrStandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _count_update(self) -> None:
        with self._lock:
            self.update_calls += 1

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args) -> None:  # noqa: A002
                pass  # CKAN's own log says what it sent

            def _reply(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, payload: dict) -> None:
                self._reply(200, json.dumps(payload).encode(), "application/json")

            def _drain_body(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)

            def _route(self) -> None:
                self._drain_body()
                parts = urlsplit(self.path)
                path = parts.path.rstrip("/")
                if not path.startswith(CORE_PATH):
                    self._reply(404, b"not a path of the Solr stand-in", "text/plain")
                    return
                action = path[len(CORE_PATH):]
                if action == "/schema" or (
                    action == "/admin/file" and "file=schema.xml" in parts.query
                ):
                    self._reply(200, standin.schema, "application/xml")
                elif action.startswith("/update"):
                    standin._count_update()
                    self._json(_ACK)
                elif action == "/select":
                    self._json(_NOTHING_FOUND)
                else:
                    self._reply(404, b"not a call the Solr stand-in answers", "text/plain")

            do_GET = _route
            do_POST = _route

        return Handler
