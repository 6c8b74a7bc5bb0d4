"""Run `kokai publish` in a child process that SIGKILLs itself at its N-th I/O event.

Events are the points where a publish touches durable state: every SQL
statement and commit (SQLAlchemy engine events) and every file rename,
fsync and chunk copy by shutil, before and after each. The hooks are
installed in the child only, from outside kokai. With `kill_at=0` the child
never kills itself and reports how many events it saw, so a test can spread
its kill points over the whole run.

Children come from a fork server that has imported kokai but run nothing:
they start in milliseconds, and no thread pool (polars') is forked mid-use.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import time
from pathlib import Path


def _child(kill_at: int, argv: list[str], events_file: str, pause_on: str | None = None) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen = 0

    def tick(*args, **_kwargs) -> None:
        nonlocal seen
        seen += 1
        if pause_on and len(args) > 2 and pause_on in str(args[2]):
            time.sleep(PAUSE)  # inside the write transaction: a second publish must wait
        if seen == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(function):
        def wrapper(*args, **kwargs):
            tick()
            result = function(*args, **kwargs)
            tick()
            return result

        return wrapper

    event.listen(Engine, "before_cursor_execute", tick)
    event.listen(Engine, "commit", tick)
    for name in ("replace", "rename", "fsync", "link"):
        setattr(os, name, counted(getattr(os, name)))
    shutil.copyfileobj = counted(shutil.copyfileobj)

    from kokai.cli import main

    code = main(argv)
    Path(events_file).write_text(str(seen))
    os._exit(code)


PAUSE = 1.0
TIMEOUT = 300
_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["kokai.cli", "kokai.publish.pipeline", "kokai.gtfs.validate", "sqlalchemy"])


def start(argv: list[str], events_file: Path, kill_at: int = 0, pause_on: str | None = None):
    """A started child process; `pause_on`: sleep before each SQL statement containing it."""
    process = _context.Process(target=_child, args=(kill_at, argv, str(events_file), pause_on))
    process.start()
    return process


def run_killed(kill_at: int, argv: list[str], events_file: Path) -> int:
    """The child's exit code (-9 when it killed itself)."""
    process = start(argv, events_file, kill_at)
    process.join(TIMEOUT)
    if process.exitcode is None:  # hung: never leave it behind
        process.kill()
        process.join()
        raise TimeoutError(f"the publish child did not end within {TIMEOUT} s (kill_at={kill_at})")
    return process.exitcode
