"""`real_ckan` and `clean_ckan`: one real CKAN 2.12.0 for the whole session
(see ckan_server.py), and `ckan_venv` (its commands, nothing started).
conftest.py beside this file makes them fixtures for the tests in this folder;
tests that need a real CKAN belong here (importing them into a second conftest
would give that folder its own FixtureDef, so a second CKAN in a full run).

Skipped only when KOKAI_SKIP_CKAN=1. When CKAN (or PostgreSQL) is not
installed, the fixture fails under CI=true (CI runs `make test`, which runs
`make ckan` and `make postgres`) and skips elsewhere, naming the make target
either way. Tests share the one CKAN for speed; `clean_ckan` (or
`real_ckan.purge_all()`) gives a test an empty catalog."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .ckan_server import CkanStartError, PrerequisiteMissing, RealCkan, installed_ckan_venv


def missing_prerequisite(message: str) -> None:
    """Fail under CI (which installs everything), skip on a developer's machine."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _skip_if_switched_off() -> None:
    if os.environ.get("KOKAI_SKIP_CKAN") == "1":
        pytest.skip("KOKAI_SKIP_CKAN=1: the real-CKAN tests are switched off")


@pytest.fixture(scope="session")
def ckan_venv() -> Path:
    """CKAN's virtualenv (its `ckan` and `ckanapi` commands), nothing started."""
    _skip_if_switched_off()
    try:
        return installed_ckan_venv()
    except PrerequisiteMissing as exc:
        missing_prerequisite(str(exc))


def running_ckan(**options) -> Iterator[RealCkan]:
    """A started RealCkan(**options) for a fixture to yield, stopped afterwards;
    skips or fails by the rules above."""
    _skip_if_switched_off()
    try:
        ckan = RealCkan(**options)
    except PrerequisiteMissing as exc:
        missing_prerequisite(str(exc))
    try:
        ckan.start()
    except CkanStartError as exc:
        pytest.fail(f"could not start the real CKAN: {exc}", pytrace=False)
    try:
        yield ckan
    finally:
        ckan.stop()


@pytest.fixture(scope="session")
def real_ckan() -> Iterator[RealCkan]:
    """Plain CKAN 2.12.0: no plugins, no Redis."""
    yield from running_ckan()


@pytest.fixture
def clean_ckan(real_ckan: RealCkan) -> RealCkan:
    """The session's CKAN with no dataset, organization or group in it."""
    real_ckan.purge_all()
    return real_ckan
