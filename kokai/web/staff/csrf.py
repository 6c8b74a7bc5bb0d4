"""CSRF protection for every unsafe request under /staff/ and /reuses/.

A POST, PUT, PATCH or DELETE there must carry a token, in the form field
``csrf_token`` or the header ``X-CSRF-Token`` (JavaScript uploads), else it is
refused with 403 before the endpoint runs (`csrf_protect`, a dependency that
`mount_staff` puts on every staff router):

- a signed-in user's token is the one stored with their login session
  (kokai/catalog/login_sessions.py): a token of another session is refused;
- an anonymous visitor (the sign-in form, the public 活用事例 form) gets a
  signed double-submit cookie ``kokai_csrf`` (a random nonce and its HMAC under
  a key kept in the catalog); the form must send the same value back, and a
  cookie planted without the key does not verify.

Tokens are compared with `hmac.compare_digest`. A request whose ``Origin`` is
another site's (or ``null``), or that the browser marks ``Sec-Fetch-Site:
cross-site``, is refused whatever its token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from starlette.responses import Response

from kokai.catalog import login_sessions
from kokai.catalog.db import session_scope, writer
from kokai.web.staff.session_cookie import (
    cookie_path,
    current_session,
    load_session,
    secure_cookies,
)

FIELD = "csrf_token"
HEADER = "x-csrf-token"
COOKIE = "kokai_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PROTECTED_PREFIXES = ("/staff/", "/reuses/")
KEY_NAME = "csrf"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRefused(Exception):
    """An unsafe request without a valid token, or from another origin (403)."""

    def __init__(self, message_ja: str):
        super().__init__(message_ja)
        self.message_ja = message_ja


def load_key(catalog) -> bytes:
    """The catalog's CSRF signing key (made on first use, shared by workers)."""
    with session_scope(catalog.engine, bind=writer(catalog.engine)) as session:
        return login_sessions.signing_key(session, KEY_NAME)


def _signature(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"csrf:" + nonce.encode("ascii"), hashlib.sha256).hexdigest()


def _valid_cookie(key: bytes, value: str | None) -> bool:
    if not value or len(value) > 200 or "." not in value or not value.isascii():
        return False
    nonce, _, signature = value.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _signature(key, nonce))


def _key(request: Request) -> bytes:
    return request.app.state.staff_csrf_key


def anonymous_token(request: Request) -> str:
    """The visitor's double-submit token: the valid cookie's value, or a new one
    that `set_anonymous_cookie` will send with the response."""
    token = getattr(request.state, "csrf_anonymous", None)
    if token is None:
        cookie = request.cookies.get(COOKIE)
        if _valid_cookie(_key(request), cookie):
            token = cookie
        else:
            nonce = secrets.token_urlsafe(24)
            token = f"{nonce}.{_signature(_key(request), nonce)}"
            request.state.csrf_new_cookie = True
        request.state.csrf_anonymous = token
    return token


def token_for(request: Request) -> str:
    """The token this request's forms must send back."""
    found = current_session(request)
    return found.csrf_token if found is not None else anonymous_token(request)


def set_anonymous_cookie(request: Request, response: Response) -> None:
    """Send the double-submit cookie when `anonymous_token` made a new one."""
    if getattr(request.state, "csrf_new_cookie", False):
        response.set_cookie(
            COOKIE,
            request.state.csrf_anonymous,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
            path=cookie_path(request),
        )


def is_protected(request: Request) -> bool:
    path = request.scope.get("path", "")
    return request.method in UNSAFE_METHODS and (
        path == "/staff" or path == "/reuses" or path.startswith(PROTECTED_PREFIXES)
    )


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def same_origin(request: Request) -> bool:
    """No Origin (older browsers, non-browser clients: the token decides), or
    the Origin of this site: its configured URL or the host the request came to."""
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin.strip().lower() == "null":
        return False
    scheme, netloc = _origin(origin)
    if (scheme, netloc) == _origin(request.app.state.config.site_url):
        return True
    host = (request.headers.get("host") or "").lower()
    return bool(host) and netloc == host and scheme in ("http", "https")


async def sent_token(request: Request) -> str | None:
    """The token in the header or in the form (the form is parsed once and
    kept by Starlette, so the endpoint reads the same form)."""
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in FORM_TYPES:
        return None
    try:
        form = await request.form()
    except Exception:  # malformed body: no token to be found
        return None
    value = form.get(FIELD)
    return value if isinstance(value, str) else None


async def csrf_protect(request: Request) -> None:
    """Dependency of every staff router: refuse an unsafe request without the right token."""
    if not is_protected(request):
        return
    if not same_origin(request):
        raise CsrfRefused("ほかのサイトからの送信は受け付けません。")
    found = await load_session(request)
    sent = await sent_token(request)
    if found is not None:
        expected = found.csrf_token
    else:
        cookie = request.cookies.get(COOKIE)
        expected = cookie if _valid_cookie(_key(request), cookie) else None
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused(
            "フォームの有効期限が切れたか、正しくない送信です。ページを読み込み直してから、"
            "もう一度送信してください。"
        )
