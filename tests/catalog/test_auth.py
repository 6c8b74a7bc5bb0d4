"""Auth functions: one per action, called by the action first, askable alone."""

from __future__ import annotations

import pytest

from kokai.catalog import auth
from kokai.catalog.actions import action_names, get_action
from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized
from tests.conftest import add_user, fresh_sqlite_url, make_config


@pytest.fixture
def local(tmp_path, sqlite_template, monkeypatch) -> LocalCatalog:
    monkeypatch.delenv("KOKAI_DATABASE_URL", raising=False)
    return LocalCatalog(make_config(tmp_path, fresh_sqlite_url(sqlite_template, tmp_path)))


def test_every_action_has_an_auth_function_of_its_name():
    names = action_names()
    assert len(names) >= 40
    for name in names:
        function = auth.get_auth_function(name)
        assert function.__name__ == name
    assert set(auth.auth_function_names()) == set(names)


class Refused(Exception):
    pass


def test_every_action_asks_its_auth_function_first(local, monkeypatch):
    asked = []

    def refuse(name):
        def check(context, data_dict):
            asked.append(name)
            raise Refused(name)

        return check

    for name in action_names():
        monkeypatch.setitem(auth._registry, name, refuse(name))
    with local.session() as session:
        context = local.context(session)
        for name in action_names():
            with pytest.raises(Refused):
                get_action(name)(context, {"id": "x", "package_id": "x", "showcase_id": "x"})
    assert sorted(set(asked)) == action_names()


def test_check_access_answers_without_running_the_action(local):
    site = local.as_site()
    site.action.organization_create(name="kikaku-ka")
    site.action.organization_create(name="other")
    site.action.package_create(name="aed", owner_org="kikaku-ka")
    add_user(local, "tanaka", org="kikaku-ka")
    add_user(local, "sato", org="other")
    assert local.as_user("tanaka").check_access("package_update", {"id": "aed"}) is True
    assert local.as_user("sato").check_access("package_update", {"id": "aed"}) is False
    assert local.as_user(None).check_access("package_update", {"id": "aed"}) is False
    assert local.as_user(None).check_access("package_show", {"id": "aed"}) is True
    assert site.check_access("dataset_purge", {"id": "aed"}) is True
    # Asking changed nothing.
    assert site.action.package_show(id="aed")["state"] == "active"
    with local.session() as session:
        context = local.as_user("sato").context(session)
        with pytest.raises(NotAuthorized, match="User sato not authorized to delete package aed"):
            auth.check_access("package_delete", context, {"id": "aed"})
