"""CKAN actions: plain functions `action(context, data_dict) -> result`, by name.

    from kokai.catalog.actions import get_action
    result = get_action("package_show")(context, {"id": "aed"})

`context` is a dict: `session` (SQLAlchemy), `user` (models.User or None),
`config` (kokai Config); optionally `cache` (dictize.PackageCache: without it,
read actions use the running app's cache for the same database, if any) and
`memberships` (filled lazily by auth). A write's caller commits the session.
Actions raise the CKAN exceptions below; the HTTP layer maps them to statuses.
The action modules are imported on first use so that `search` and `auth` can
import the exceptions without a cycle.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Action = Callable[[dict, dict], Any]

_registry: dict[str, Action] = {}
_side_effect_free: set[str] = set()
_MODULES = ("get", "create", "update", "delete", "showcase")
_loaded = False


class ActionError(Exception):
    """Base of the errors an action raises on purpose."""


class NotFound(ActionError):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class NotAuthorized(ActionError):
    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class ValidationError(ActionError):
    """`errors` maps field names to lists of messages (CKAN's error dict)."""

    def __init__(self, errors: dict[str, Any]):
        super().__init__(repr(errors))
        self.errors = errors


class SearchQueryError(ActionError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SearchError(ActionError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def action(name: str | None = None, side_effect_free: bool = False):
    """Register a function as a CKAN action (GET allowed when side-effect free)."""

    def register(func: Action) -> Action:
        action_name = name or func.__name__
        _registry[action_name] = func
        if side_effect_free:
            _side_effect_free.add(action_name)
        func.side_effect_free = side_effect_free  # type: ignore[attr-defined]
        return func

    return register


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True


def get_action(name: str) -> Action:
    """The action registered under `name`; KeyError when there is none."""
    _load()
    return _registry[name]


def action_names() -> list[str]:
    _load()
    return sorted(_registry)


def has_action(name: str) -> bool:
    _load()
    return name in _registry


def is_side_effect_free(name: str) -> bool:
    _load()
    return name in _side_effect_free
