"""The staff page's session cookie: which signed-in session a request belongs to.

The cookie ``kokai_session`` holds the random session id (never stored on the
server, only its SHA-256, see kokai/catalog/login_sessions.py). It is HttpOnly,
SameSite=Lax, Path=/, and Secure when the site's URL is https. The lookup is
made once per request and kept in ``request.state``.
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kokai.catalog import login_sessions
from kokai.catalog.login_sessions import FoundSession

COOKIE = "kokai_session"
_UNSET = object()


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the site is served over https."""
    return request.app.state.config.site_url.lower().startswith("https://")


def cookie_path(request: Request) -> str:
    return (request.scope.get("root_path") or "").rstrip("/") + "/"


def set_session_cookie(request: Request, response: Response, raw_id: str) -> None:
    response.set_cookie(
        COOKIE,
        raw_id,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=cookie_path(request),
        max_age=int(login_sessions.ABSOLUTE.total_seconds()),
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path=cookie_path(request),
    )


def _lookup(request: Request, raw_id: str) -> FoundSession | None:
    catalog = request.app.state.catalog
    with catalog.session() as session:
        found, then = login_sessions.lookup(session, raw_id)
    if then:  # a separate one-statement write (see kokai/catalog/login_sessions.py)
        with catalog.session() as session:
            if then == "end":
                login_sessions.end(session, raw_id)
            else:
                login_sessions.touch(session, raw_id)
    return found


async def load_session(request: Request) -> FoundSession | None:
    """The live login session of this request, looked up once (in the thread
    pool: the lookup may write last_seen) and kept in ``request.state``; the
    staff routers run it as a dependency before every endpoint."""
    found = getattr(request.state, "staff_session", _UNSET)
    if found is _UNSET:
        raw_id = request.cookies.get(COOKIE)
        found = await run_in_threadpool(_lookup, request, raw_id) if raw_id else None
        request.state.staff_session = found
    return found


def current_session(request: Request) -> FoundSession | None:
    """As `load_session`, for synchronous callers (normally already loaded)."""
    found = getattr(request.state, "staff_session", _UNSET)
    if found is _UNSET:
        raw_id = request.cookies.get(COOKIE)
        found = _lookup(request, raw_id) if raw_id else None
        request.state.staff_session = found
    return found


def forget_current_session(request: Request) -> None:
    """After sign-in or sign-out: this request's session is no longer the cookie's."""
    request.state.staff_session = None
