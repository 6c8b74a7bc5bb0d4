"""Staff accounts: `kokai user add` and `kokai token create`."""

from __future__ import annotations

from sqlalchemy import select

from kokai.catalog.actions.common import NAME_CHARS, NAME_RE
from kokai.catalog.auth import hash_token, new_token
from kokai.catalog.db import session_scope
from kokai.catalog.dictize import bump_revision
from kokai.catalog.models import ApiToken, Group, Member, User, new_id, utcnow
from kokai.config import Config
from kokai.errors import KokaiError


def _check_name(kind: str, name: str) -> None:
    if not (2 <= len(name) <= 100 and NAME_RE.match(name)):
        raise KokaiError(
            f"{kind}名 '{name}' は使えません。英小文字・数字・'-'・'_' の2〜100文字にしてください"
            f" / invalid {kind} name: {NAME_CHARS}"
        )


def add_user(config: Config, name: str, sysadmin: bool = False, org: str | None = None) -> bool:
    """Create the user (or update an existing one): sysadmin flag, editor of `org`.
    An organization that does not exist yet is created with the name as title.
    True when the user is new."""
    _check_name("利用者", name)
    if org:
        _check_name("組織", org)
    with session_scope(config) as session:
        user = session.scalar(select(User).where(User.name == name))
        created = user is None
        if user is None:
            user = User(id=new_id(), name=name, created=utcnow())
            session.add(user)
        user.sysadmin = user.sysadmin or sysadmin
        if org:
            group = session.scalar(select(Group).where(Group.name == org))
            if group is None:
                group = Group(id=new_id(), name=org, title=org, is_organization=True)
                session.add(group)
            elif not group.is_organization:
                raise KokaiError(
                    f"'{org}' はグループで、組織ではありません / '{org}' is not an organization"
                )
            session.flush()
            member = session.scalar(
                select(Member).where(Member.group_id == group.id, Member.user_id == user.id)
            )
            if member is None:
                session.add(Member(group_id=group.id, user_id=user.id, capacity="editor"))
        bump_revision(session)
    return created


def create_token(config: Config, name: str, label: str = "cli") -> str:
    """A new API token for the user; only its hash is stored, so it is shown once."""
    with session_scope(config) as session:
        user = session.scalar(select(User).where(User.name == name))
        if user is None:
            raise KokaiError(
                f"利用者 '{name}' がいません。先に `kokai user add {name}` を実行してください"
                f" / no such user: {name}"
            )
        token = new_token()
        session.add(ApiToken(user_id=user.id, label=label, token_hash=hash_token(token)))
        return token
