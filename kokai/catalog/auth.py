"""API tokens and permissions.

A token is shown once; only its SHA-256 is stored. CKAN reads the raw token
from `Authorization` (no `Bearer`: `Bearer x` is anonymous) and ckanapi also
sends `X-CKAN-API-Key`. Permissions follow CKAN's defaults: sysadmins may do
everything; an organization's admins and editors may write its datasets;
its members (any capacity) may read its private datasets.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from kokai.catalog.actions import NotAuthorized
from kokai.catalog.models import ApiToken, Member, User

TOKEN_PREFIX = "kokai_"
WRITE_CAPACITIES = ("admin", "editor")


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


def user_label(user: User | None) -> str:
    return user.name if user is not None else "None"


def memberships(context: dict) -> dict[str, str]:
    """{organization id: capacity} of the context's user, cached in the context."""
    if "memberships" not in context:
        user = context.get("user")
        if user is None:
            context["memberships"] = {}
        else:
            rows = context["session"].execute(
                select(Member.group_id, Member.capacity).where(Member.user_id == user.id)
            )
            context["memberships"] = {group_id: capacity for group_id, capacity in rows}
    return context["memberships"]


def is_sysadmin(context: dict) -> bool:
    user = context.get("user")
    return bool(user is not None and user.sysadmin)


def readable_org_ids(context: dict) -> set[str] | None:
    """Organizations whose private datasets the user may read; None = all (sysadmin)."""
    if is_sysadmin(context):
        return None
    return set(memberships(context))


def can_edit_org(context: dict, org_id: str | None) -> bool:
    if is_sysadmin(context):
        return True
    return org_id is not None and memberships(context).get(org_id) in WRITE_CAPACITIES


def is_org_admin(context: dict, org_id: str) -> bool:
    return is_sysadmin(context) or memberships(context).get(org_id) == "admin"


def can_read_package(context: dict, private: bool, state: str, owner_org: str | None) -> bool:
    if state == "active" and not private:
        return True
    if is_sysadmin(context):
        return True
    if state not in ("active", "draft", "deleted"):
        return False
    if state != "active":
        return can_edit_org(context, owner_org)
    return owner_org is not None and owner_org in memberships(context)


def check_edit_package(context: dict, owner_org: str | None, what: str) -> None:
    if not can_edit_org(context, owner_org):
        raise NotAuthorized(f"User {user_label(context.get('user'))} not authorized to {what}")


def require_sysadmin(context: dict, what: str) -> None:
    if not is_sysadmin(context):
        raise NotAuthorized(f"User {user_label(context.get('user'))} not authorized to {what}")
