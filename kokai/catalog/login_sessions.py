"""Server-side sessions of the staff page's sign-in.

    raw_id, csrf = start(session, user.id)     # at sign-in (the cookie gets raw_id)
    found, then = lookup(session, raw_id)      # FoundSession or None; "touch" / "end" / ""
    end(session, raw_id)                       # at sign-out

The session id is a random `secrets.token_urlsafe` value that only the
browser keeps; the table holds its SHA-256, so a copy of the database signs
nobody in. A session ends after `IDLE` without a request or `ABSOLUTE` after
sign-in, whichever comes first. Writes are single statements that read
nothing first, so they never wait on a read snapshot (SQLite) and need not
hold the catalog's write lock. `signing_key` gives a random key kept in the
catalog (shared by every worker) for values the web layer signs.

No HTTP here: the web layer (kokai/web/staff/) decides cookies and headers.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kokai.catalog.models import LoginSession, SiteSecret, User, utcnow

IDLE = timedelta(hours=2)  # signed out after this long without a request
ABSOLUTE = timedelta(hours=12)  # and after a working day at most
TOUCH_EVERY = timedelta(minutes=1)  # last_seen is written at most this often (fewer writes)


@dataclass(frozen=True)
class FoundSession:
    """A live session: its user (detached values) and CSRF token."""

    user_id: str
    user_name: str
    fullname: str | None
    sysadmin: bool
    csrf_token: str


def hash_session_id(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode("utf-8")).hexdigest()


def start(session: Session, user_id: str, now: datetime | None = None) -> tuple[str, str]:
    """A new session for the user: (raw session id for the cookie, its CSRF token).
    One INSERT, no read first (SQLite takes the write lock at once)."""
    now = now or utcnow()
    raw_id = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    session.execute(
        insert(LoginSession).values(
            id_hash=hash_session_id(raw_id),
            user_id=user_id,
            csrf_token=csrf_token,
            created=now,
            last_seen=now,
        )
    )
    return raw_id, csrf_token


def expired(created: datetime, last_seen: datetime, now: datetime) -> bool:
    return now - last_seen > IDLE or now - created > ABSOLUTE


def lookup(
    session: Session, raw_id: str | None, now: datetime | None = None
) -> tuple[FoundSession | None, str]:
    """Read only: (the live session of `raw_id` or None, what to write next):
    "" nothing, "touch" (renew last_seen with `touch`), "end" (expired: `end` it)."""
    if not raw_id or len(raw_id) > 200:
        return None, ""
    now = now or utcnow()
    row = session.execute(
        select(LoginSession.created, LoginSession.last_seen, LoginSession.csrf_token, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.id_hash == hash_session_id(raw_id))
    ).first()
    if row is None:
        return None, ""
    created, last_seen, csrf_token, user = row
    if expired(created, last_seen, now) or user.state != "active":
        return None, "end"
    found = FoundSession(user.id, user.name, user.fullname, bool(user.sysadmin), csrf_token)
    return found, "touch" if now - last_seen >= TOUCH_EVERY else ""


def touch(session: Session, raw_id: str, now: datetime | None = None) -> None:
    """Renew a session's last_seen (one UPDATE)."""
    session.execute(
        update(LoginSession)
        .where(LoginSession.id_hash == hash_session_id(raw_id))
        .values(last_seen=now or utcnow())
    )


def end(session: Session, raw_id: str | None) -> bool:
    """Delete the session of `raw_id`; True when there was one."""
    if not raw_id:
        return False
    result = session.execute(
        delete(LoginSession).where(LoginSession.id_hash == hash_session_id(raw_id))
    )
    return bool(result.rowcount)


def end_all(session: Session, user_id: str, keep_raw_id: str | None = None) -> int:
    """Delete every session of a user (a new password signs the others out)."""
    query = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep_raw_id:
        query = query.where(LoginSession.id_hash != hash_session_id(keep_raw_id))
    return session.execute(query).rowcount or 0


def purge_expired(session: Session, now: datetime | None = None) -> int:
    """Delete the sessions that can no longer be used; returns how many."""
    now = now or utcnow()
    result = session.execute(
        delete(LoginSession).where(
            (LoginSession.last_seen < now - IDLE) | (LoginSession.created < now - ABSOLUTE)
        )
    )
    return result.rowcount or 0


def signing_key(session: Session, name: str) -> bytes:
    """The random key called `name`, made on first use and then shared by every
    worker (two workers racing to make it both end up with the stored one)."""
    value = session.scalar(select(SiteSecret.value).where(SiteSecret.name == name))
    if value is None:
        try:
            with session.begin_nested():
                session.add(SiteSecret(name=name, value=secrets.token_hex(32)))
        except IntegrityError:
            pass
        value = session.scalar(select(SiteSecret.value).where(SiteSecret.name == name))
    return bytes.fromhex(value)
