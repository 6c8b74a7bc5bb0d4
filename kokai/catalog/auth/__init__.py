"""Who may run which action: one auth function per action, as CKAN's logic/auth/.

    check_access("package_update", context, {"id": "aed"})   # raises NotAuthorized

Auth functions live by verb in `get`, `create`, `update`, `delete` and
`showcase`, each named after its action. An auth function returns None when
the user may run the action and raises NotAuthorized (or NotFound, when the
object to check does not exist) otherwise. Actions call `check_access`
first; a caller may call it alone to ask without running the action
(`LocalCatalog.check_access`). A context with `ignore_auth` (the site itself,
e.g. the CLI) passes every check.

Permissions follow CKAN's defaults: sysadmins may do everything; an
organization's admins and editors may write its datasets; its members (any
capacity) may read its private datasets; adding a dataset to a thematic group
needs membership of that group.

API tokens: a token is shown once; only its SHA-256 is stored. CKAN reads the
raw token from `Authorization` (no `Bearer`: `Bearer x` is anonymous) and
ckanapi also sends `X-CKAN-API-Key`.
"""

from __future__ import annotations

import hashlib
import importlib
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kokai.catalog.errors import NotAuthorized
from kokai.catalog.models import ApiToken, Group, Member, User

if TYPE_CHECKING:
    from kokai.catalog.context import Context

AuthFunction = Callable[["Context", dict], None]

TOKEN_PREFIX = "kokai_"
WRITE_CAPACITIES = ("admin", "editor")
_MODULES = ("get", "create", "update", "delete", "showcase", "publish_log", "metrics")
_registry: dict[str, AuthFunction] = {}
_loaded = False


def auth_function(func: AuthFunction) -> AuthFunction:
    """Register `func` as the auth function of the action of the same name."""
    _registry[func.__name__] = func
    return func


def allow_anyone(*names: str) -> None:
    """Register, for each action name, an auth function that lets anyone run it."""
    for name in names:

        def allow(context: Context, data_dict: dict) -> None:
            return None

        allow.__name__ = allow.__qualname__ = name
        allow.__doc__ = "Anyone, anonymous included."
        auth_function(allow)


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in _MODULES:
            importlib.import_module(f"{__name__}.{module}")
        _loaded = True


def auth_function_names() -> list[str]:
    _load()
    return sorted(_registry)


def get_auth_function(name: str) -> AuthFunction:
    """The auth function of action `name`; KeyError when there is none."""
    _load()
    return _registry[name]


def check_access(name: str, context: Context, data_dict: dict | None = None) -> bool:
    """True when the context's user may run action `name` with `data_dict`;
    NotAuthorized otherwise (NotFound when the object does not exist)."""
    if context.ignore_auth:
        return True
    if not _loaded:
        _load()
    _registry[name](context, data_dict if data_dict is not None else {})
    return True


# ---------------------------------------------------------------- tokens


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_from_headers(headers) -> str | None:
    """The raw token a client sent, or None (anonymous)."""
    for header in ("authorization", "x-ckan-api-key"):
        value = (headers.get(header) or "").strip()
        if value and " " not in value:  # "Bearer x" is anonymous in CKAN
            return value
    return None


def user_for_token(session: Session, raw: str | None) -> User | None:
    if not raw:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.user.state != "active":
        return None
    return token.user


# ---------------------------------------------------------------- questions auth functions ask


def user_label(user: User | None) -> str:
    return user.name if user is not None else "None"


def refuse(context: Context, what: str) -> NotAuthorized:
    """CKAN's message: "User <name> not authorized to <what>"."""
    return NotAuthorized(f"User {user_label(context.user)} not authorized to {what}")


def memberships(context: Context) -> dict[str, str]:
    """{organization or group id: capacity} of the context's user, cached in the context."""
    if context.memberships is None:
        user = context.user
        if user is None:
            context.memberships = {}
        else:
            rows = context.session.execute(
                select(Member.group_id, Member.capacity).where(Member.user_id == user.id)
            )
            context.memberships = {group_id: capacity for group_id, capacity in rows}
    return context.memberships


def is_sysadmin(context: Context) -> bool:
    """A sysadmin, or the site itself (`ignore_auth`)."""
    if context.ignore_auth:
        return True
    user = context.user
    return bool(user is not None and user.sysadmin)


def readable_org_ids(context: Context) -> set[str] | None:
    """Organizations whose private datasets the user may read; None = all (sysadmin)."""
    if is_sysadmin(context):
        return None
    return set(memberships(context))


def can_edit_org(context: Context, org_id: str | None) -> bool:
    if is_sysadmin(context):
        return True
    return org_id is not None and memberships(context).get(org_id) in WRITE_CAPACITIES


def can_create_datasets(context: Context) -> bool:
    """A sysadmin, or an admin or editor of some organization."""
    return context.user is not None and (
        is_sysadmin(context)
        or any(capacity in WRITE_CAPACITIES for capacity in memberships(context).values())
    )


def is_group_admin(context: Context, group_id: str) -> bool:
    return is_sysadmin(context) or memberships(context).get(group_id) == "admin"


def is_group_member(context: Context, group_id: str) -> bool:
    """Any capacity: CKAN's `manage_group` permission (members add datasets to groups)."""
    return is_sysadmin(context) or group_id in memberships(context)


def can_read_package(context: Context, private: bool, state: str, owner_org: str | None) -> bool:
    if state == "active" and not private:
        return True
    if is_sysadmin(context):
        return True
    if state not in ("active", "draft", "deleted"):
        return False
    if state != "active":
        return can_edit_org(context, owner_org)
    return owner_org is not None and owner_org in memberships(context)


def group_refs(data_dict: Any) -> list[str]:
    """The group ids or names a package dict names in `groups`."""
    raw = data_dict.get("groups") if isinstance(data_dict, dict) else None
    if not isinstance(raw, list):
        return []
    refs = []
    for item in raw:
        ref = (item.get("id") or item.get("name")) if isinstance(item, dict) else item
        if isinstance(ref, str) and ref:
            refs.append(ref)
    return refs


def check_group_auth(context: Context, data_dict: Any, current: set[str] = frozenset()) -> None:
    """Every group a package dict adds (beyond `current`, the ids it is in
    already) must be one the user is a member of (CKAN's _check_group_auth).
    Unknown groups are left to validation."""
    if is_sysadmin(context):
        return
    refs = group_refs(data_dict)
    if not refs:
        return
    rows = context.session.execute(
        select(Group.id).where(
            (Group.id.in_(refs)) | (Group.name.in_(refs)),
            Group.is_organization.is_(False),
            Group.state == "active",
        )
    )
    for (group_id,) in rows:
        if group_id not in current and not is_group_member(context, group_id):
            raise refuse(context, "edit these groups")
