"""Passwords of staff users: argon2id (argon2-cffi), never stored or shown in clear.

    user.password_hash = hash_password("…")
    user = authenticate(session, "tanaka", "…")   # the User, or None

`authenticate` costs the same for an unknown user as for a wrong password (it
verifies against a dummy hash), so timing does not tell which names exist, and
`upgraded_hash` re-hashes a stored hash made with older parameters after a
successful check.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kokai.catalog.models import User

MIN_LENGTH = 8  # as CKAN asks
MAX_LENGTH = 1024  # hashing is costly: no megabyte passwords

hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return hasher.hash("kokai dummy password: never matches a form")


def password_problem(password: str) -> str | None:
    """Why a new password is refused (ja / en), or None."""
    if len(password) < MIN_LENGTH:
        return (
            f"パスワードは {MIN_LENGTH} 文字以上にしてください / "
            f"the password must have at least {MIN_LENGTH} characters"
        )
    if len(password) > MAX_LENGTH:
        return (
            f"パスワードは {MAX_LENGTH} 文字以内にしてください / "
            f"the password must have at most {MAX_LENGTH} characters"
        )
    return None


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash`; a missing hash costs one
    verification all the same and never matches."""
    if len(password) > MAX_LENGTH:
        password = password[:MAX_LENGTH]  # still one full verification, then a mismatch
        stored_hash = None
    try:
        ok = hasher.verify(stored_hash or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return ok and stored_hash is not None


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user `name` when `password` is theirs, else None (the same
    work either way). Read only: see `upgraded_hash`."""
    user = session.scalar(select(User).where(User.name == name, User.state == "active"))
    stored = user.password_hash if user is not None else None
    return user if verify_password(stored, password) else None


def upgraded_hash(stored_hash: str, password: str) -> str | None:
    """After a successful check: a new hash when the stored one was made with
    other parameters than the current ones, else None."""
    return hash_password(password) if hasher.check_needs_rehash(stored_hash) else None


def set_password_hash(session: Session, user_id: str, password_hash: str) -> None:
    """One UPDATE (no read first)."""
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))
