"""Sign-in and sign-out of the staff page: /staff/login (GET, POST), /staff/logout (POST).

- The password is checked with argon2 (kokai/catalog/passwords.py); an unknown
  user costs the same as a wrong password and gets the same message.
- Failed attempts are rate-limited per user name and per client address
  (`LoginGuard`, on kokai/web/ratelimit.py's RateLimiter, the client address
  as kokai/web/token_guard.py reads it): past the limit the form answers 429
  with a Japanese message, and no password is checked until the wait is over.
- A successful sign-in ends any session the browser had and starts a new one
  (no fixation); sign-out deletes it on the server and clears the cookie.
- ``next`` only leads to a path of this site under /staff.
"""

from __future__ import annotations

import math
import unicodedata
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kokai.catalog import login_sessions, passwords
from kokai.catalog.client import LocalCatalog
from kokai.web.ratelimit import RateLimiter
from kokai.web.staff.common import current_user, render, url_for_path
from kokai.web.staff.session_cookie import (
    COOKIE,
    clear_session_cookie,
    forget_current_session,
    load_session,
    set_session_cookie,
)
from kokai.web.token_guard import client_key

router = APIRouter()

NAME_LIMIT, NAME_WINDOW = 5, 15 * 60.0  # failures per user name per 15 minutes
CLIENT_LIMIT, CLIENT_WINDOW = 20, 15 * 60.0  # failures per client address per 15 minutes
HOME = "/staff/"
FAILED = "ユーザー名またはパスワードが違います。"


class LoginGuard:
    """Counts failed sign-ins per user name and per client address."""

    def __init__(self, per_name: RateLimiter | None = None, per_client: RateLimiter | None = None):
        # `is None`, not `or`: an empty RateLimiter is falsy (it has a __len__)
        self.per_name = RateLimiter(NAME_LIMIT, NAME_WINDOW) if per_name is None else per_name
        self.per_client = (
            RateLimiter(CLIENT_LIMIT, CLIENT_WINDOW) if per_client is None else per_client
        )

    def retry_after(self, name_key: str, client: str) -> int:
        return max(self.per_name.retry_after(name_key), self.per_client.retry_after(client))

    def failure(self, name_key: str, client: str) -> int:
        return max(self.per_name.failure(name_key), self.per_client.failure(client))

    def success(self, name_key: str) -> None:
        self.per_name.reset(name_key)


def name_key(username: str) -> str:
    """One counter for the ways of typing one name (ｔａｎａｋａ, Tanaka)."""
    return unicodedata.normalize("NFKC", username).strip().lower()[:200]


def safe_next(value: str | None) -> str:
    """`value` when it is a path of this site under /staff, else /staff/."""
    if not value or len(value) > 2000 or not value.isprintable() or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/"):
        return HOME
    if parts.path != "/staff" and not parts.path.startswith("/staff/"):
        return HOME
    if any(segment in (".", "..") for segment in parts.path.split("/")) or "%" in parts.path:
        return HOME  # no dot segments, raw or encoded, that a browser would resolve elsewhere
    if parts.path.startswith("/staff/logout"):
        return HOME
    return value


def login_page(request: Request, status_code: int = 200, **values) -> Response:
    values.setdefault("error", "")
    values.setdefault("username", "")
    values.setdefault("next_path", HOME)
    return render(request, "staff/login.html", status_code, **values)


@router.get("/staff/login")
async def login_form(request: Request, next: str = HOME) -> Response:  # noqa: A002 - the query name
    target = safe_next(next)
    if current_user(request) is not None:
        return RedirectResponse(url_for_path(request, target), status_code=303)
    return login_page(request, next_path=target)


def _verify(catalog: LocalCatalog, username: str, password: str) -> tuple[str, str] | None:
    """(user id, stored hash) when the password is the user's; None otherwise."""
    with catalog.session() as session:
        user = passwords.authenticate(session, username, password)
        return (user.id, user.password_hash) if user is not None else None


def _start_session(catalog: LocalCatalog, user_id: str, stored: str, password: str,
                   old_raw_id: str | None) -> str:  # fmt: skip
    """End the browser's previous session, upgrade an old hash, start a new session."""
    new_hash = passwords.upgraded_hash(stored, password)
    with catalog.session() as session:  # single-statement writes (login_sessions)
        if old_raw_id:
            login_sessions.end(session, old_raw_id)
        if new_hash:
            passwords.set_password_hash(session, user_id, new_hash)
        raw_id, _ = login_sessions.start(session, user_id)
        login_sessions.purge_expired(session)  # sessions nobody can use any more
    return raw_id


def too_many(request: Request, wait: int, username: str, target: str) -> Response:
    minutes = max(1, math.ceil(wait / 60))
    response = login_page(
        request, 429, username=username, next_path=target,
        error=(
            "ログインの失敗が続いたため、しばらくログインできません。"
            f"{minutes} 分ほど待ってから、もう一度お試しください。"
        ),
    )  # fmt: skip
    response.headers["Retry-After"] = str(wait)
    return response


@router.post("/staff/login")
async def login(request: Request) -> Response:
    form = await request.form()  # parsed already by the CSRF check
    username = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or HOME))
    guard: LoginGuard = request.app.state.staff_login_guard
    key, client = name_key(username), client_key(request.scope)
    wait = guard.retry_after(key, client)
    if wait:
        return too_many(request, wait, username, target)
    if not username or not password:
        return login_page(
            request, 400, username=username, next_path=target,
            error="ユーザー名とパスワードを入力してください。",
        )  # fmt: skip
    catalog: LocalCatalog = request.app.state.catalog
    verified = await run_in_threadpool(_verify, catalog, username, password)
    if verified is None:
        wait = guard.failure(key, client)
        if wait:
            return too_many(request, wait, username, target)
        return login_page(request, 401, username=username, next_path=target, error=FAILED)
    guard.success(key)
    raw_id = await run_in_threadpool(
        _start_session, catalog, *verified, password, request.cookies.get(COOKIE)
    )
    forget_current_session(request)
    response = RedirectResponse(url_for_path(request, target), status_code=303)
    set_session_cookie(request, response, raw_id)
    return response


def _end_session(catalog: LocalCatalog, raw_id: str) -> None:
    with catalog.session() as session:
        login_sessions.end(session, raw_id)


@router.post("/staff/logout")
async def logout(request: Request) -> Response:
    await load_session(request)
    raw_id = request.cookies.get(COOKIE)
    if raw_id:
        await run_in_threadpool(_end_session, request.app.state.catalog, raw_id)
    forget_current_session(request)
    response = RedirectResponse(url_for_path(request, "/staff/login"), status_code=303)
    clear_session_cookie(request, response)
    return response
