"""The staff pages in a real browser (the browser fixtures come from
tests/browser_support.py through tests/conftest.py): `staff_server`, the staff
app of a fresh demo city (tests/web/staff/conftest.py's `staff_config`, with its
public site built so that a publish updates it) on a free 127.0.0.1 port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from kokai.config import Config
from kokai.site.build import SiteBuilder
from kokai.web.app import create_app


@dataclass
class StaffServer:
    url: str
    config: Config


@pytest.fixture
def staff_server(staff_config) -> Iterator[StaffServer]:
    import uvicorn

    SiteBuilder(staff_config, staff_config.site_dir).build()  # before the app mounts it
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(staff_config), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield StaffServer(f"http://127.0.0.1:{sock.getsockname()[1]}", staff_config)
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()
