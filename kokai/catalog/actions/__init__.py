"""CKAN actions: plain functions `action(context, data_dict) -> result`, by name.

    from kokai.catalog.actions import get_action
    result = get_action("package_show")(context, {"id": "aed"})

Actions are grouped by verb as CKAN's logic/action/: `get`, `create`,
`update`, `delete`, and `showcase` (ckanext-showcase). Each first calls
`check_access` with its own name (kokai/catalog/auth/), then validates its
input against its schema (kokai/catalog/schema.py). `context` is a
`kokai.catalog.context.Context`, built by `LocalCatalog.context()`; a write's
caller commits the session (LocalCatalog does). Actions raise the exceptions
of kokai/catalog/errors.py (ckanapi's classes), re-exported here; the HTTP
layer maps them to statuses. The action modules are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from kokai.catalog.errors import (
    ActionError,
    NotAuthorized,
    NotFound,
    SearchError,
    SearchQueryError,
    ValidationError,
)

Action = Callable[[Any, dict], Any]

_registry: dict[str, Action] = {}
_side_effect_free: set[str] = set()
_own_text_checks: set[str] = set()
_MODULES = ("get", "create", "update", "delete", "showcase", "publish_log", "metrics")
_loaded = False


def action(name: str | None = None, side_effect_free: bool = False, checks_own_text: bool = False):
    """Register a function as a CKAN action (GET allowed when side-effect free).

    LocalCatalog refuses input holding lone surrogates before running an
    action (ValidationError); `checks_own_text` actions report them their own
    way (package_search: a Search Query Error, as for any unparsable query)."""

    def register(func: Action) -> Action:
        action_name = name or func.__name__
        _registry[action_name] = func
        if side_effect_free:
            _side_effect_free.add(action_name)
        if checks_own_text:
            _own_text_checks.add(action_name)
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


def checks_own_text(name: str) -> bool:
    _load()
    return name in _own_text_checks


def resolve(name: str) -> tuple[Action, bool, bool]:
    """(action, side-effect free, checks its own text) in one look-up, for the
    hot path of LocalCatalog.run; KeyError when there is no such action."""
    if not _loaded:
        _load()
    return _registry[name], name in _side_effect_free, name in _own_text_checks


__all__ = [
    "ActionError", "NotAuthorized", "NotFound", "SearchError", "SearchQueryError",
    "ValidationError", "action", "action_names", "checks_own_text", "get_action", "has_action",
    "is_side_effect_free", "resolve",
]  # fmt: skip
