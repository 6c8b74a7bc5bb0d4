"""Shared fixtures of the staff UI tests (issue 11).

- `staff_config`: a Config on a fresh copy of the demo city (tests/site's
  `publish_demo_city`: the five demo datasets published, downloads imported,
  one approved 活用事例, the private dataset 'private-staff' of the bousai
  organisation) plus the private dataset 'kikaku-private' of the kikaku
  organisation and three users with passwords (`PASSWORDS`):
  `editor` (editor of 'shiomi-city-bousai': evacuation-sites, shelters),
  `other_editor` (editor of 'shiomi-city-kikaku': community-bus), `admin` (sysadmin).
  The city is published once per session and copied for each test, so a test
  may change it freely.
- `staff_app`: `create_app(staff_config)`; `staff_client`: a TestClient on it.
- `signed_in(client, user)`: signs `user` in through the real form (GET the
  form, POST it with its CSRF token) and returns the client.
- `csrf_of(html)`: the csrf_token a page's form carries.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kokai.catalog import passwords
from kokai.catalog.client import LocalCatalog
from kokai.catalog.db import dispose_engine
from kokai.config import Config, load_config
from kokai.web.app import create_app
from tests.site.conftest import publish_demo_city

PASSWORDS = {
    "editor": "bousai-editor-pass",
    "other_editor": "kikaku-editor-pass",
    "admin": "sysadmin-pass-123",
}
MEMBERSHIPS = {"editor": "shiomi-city-bousai", "other_editor": "shiomi-city-kikaku"}
FULLNAMES = {"editor": "防災 花子", "other_editor": "企画 太郎", "admin": "管理 者"}
KIKAKU_PRIVATE = "kikaku-private"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def sign_in(client: TestClient, user: str, password: str | None = None, next_path: str = "/staff/"):
    """POST the real sign-in form; returns the response (a 303 on success)."""
    form = client.get("/staff/login")
    assert form.status_code == 200, form.text
    return client.post(
        "/staff/login",
        data={"username": user, "password": PASSWORDS[user] if password is None else password,
              "next": next_path, "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )  # fmt: skip


def signed_in_client(client: TestClient, user: str) -> TestClient:
    response = sign_in(client, user)
    assert response.status_code == 303, response.text
    assert client.cookies.get("kokai_session")
    return client


def _add_users(catalog: LocalCatalog) -> None:
    for name, password in PASSWORDS.items():
        catalog.action.user_create(
            name=name, password=password, fullname=FULLNAMES[name], sysadmin=name == "admin"
        )
    for name, organization in MEMBERSHIPS.items():
        catalog.action.organization_member_create(id=organization, username=name, role="editor")
    catalog.action.package_create(
        name=KIKAKU_PRIVATE, title="企画課の非公開データ", owner_org="shiomi-city-kikaku",
        private=True, notes="ほかの課からは見えないこと",
    )  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def light_password_hashing() -> Iterator[None]:
    """argon2id with light parameters: every sign-in of these tests verifies a
    password, and the production cost (tens of MB, a fraction of a second on a
    busy machine) would dominate them. The code paths are the same."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        passwords._dummy_hash.cache_clear()
        yield
    passwords._dummy_hash.cache_clear()


@pytest.fixture(scope="session")
def staff_city_template(tmp_path_factory, light_password_hashing) -> Iterator[Path]:
    saved = {
        k: os.environ.pop(k) for k in ("KOKAI_DATABASE_URL", "KOKAI_STORAGE_URL") if k in os.environ
    }
    root = tmp_path_factory.mktemp("staff-city") / "city"
    city = publish_demo_city(root)
    _add_users(city.catalog())
    dispose_engine(city.config)  # everything on disk (WAL checkpointed) before copies are made
    yield root
    os.environ.update(saved)


@pytest.fixture
def staff_config(staff_city_template, tmp_path, monkeypatch) -> Iterator[Config]:
    for name in ("KOKAI_DATABASE_URL", "KOKAI_STORAGE_URL", "KOKAI_USER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "city"
    shutil.copytree(staff_city_template, root)
    toml = root / "kokai.toml"
    toml.write_text(toml.read_text("utf-8").replace(str(staff_city_template), str(root)), "utf-8")
    config = load_config(toml)
    assert str(root) in config.catalog_url
    yield config
    dispose_engine(config)


@pytest.fixture
def staff_app(staff_config) -> FastAPI:
    return create_app(staff_config)


@pytest.fixture
def staff_client(staff_app) -> Iterator[TestClient]:
    with TestClient(staff_app) as client:
        yield client


@pytest.fixture
def signed_in() -> Callable[[TestClient, str], TestClient]:
    return signed_in_client
