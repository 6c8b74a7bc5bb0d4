"""Failed API-token attempts, rate-limited per client IP.

A request whose ``Authorization`` / ``X-CKAN-API-Key`` token matches no
active user runs anonymously, as in CKAN, but is counted against the
client's IP; after `LIMIT` such failures within `WINDOW` seconds the client's
token-bearing requests are answered 429 with ``Retry-After`` (and no database
query) until the oldest failure leaves the window. Anonymous requests from
the same IP are not affected, nor are other clients' valid tokens.
"""

from __future__ import annotations

from kokai.catalog import auth
from kokai.catalog.db import sessionmaker_for
from kokai.catalog.dictize import dumps
from kokai.web.ratelimit import RateLimiter

LIMIT = 10  # failed token attempts per client ...
WINDOW = 60.0  # ... per this many seconds (sliding)
MAX_CLIENTS = 10_000  # clients tracked at once (least recently failed forgotten first)


class TokenGuard:
    def __init__(self, engine, limiter: RateLimiter | None = None):
        self.sessions = sessionmaker_for(engine)
        self.limiter = limiter or RateLimiter(LIMIT, WINDOW, MAX_CLIENTS)

    def check(self, client: str, token: str | None) -> tuple[str | None, int]:
        """(the token to run the request with, seconds to wait: 0 = go on).
        A token that matches no user is counted and dropped (anonymous)."""
        if token is None:
            return None, 0
        wait = self.limiter.retry_after(client)
        if wait:
            return None, wait
        with self.sessions() as session:
            known = auth.user_for_token(session, token) is not None
        if known:
            return token, 0
        self.limiter.failure(client)
        return None, 0


def client_key(scope) -> str:
    """The client's IP (uvicorn's ``--forwarded-allow-ips`` makes it the real one behind a proxy)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def too_many_body(help_text: bytes, wait: int) -> bytes:
    """CKAN's error envelope for HTTP 429, saying when to retry (ja / en)."""
    error = {
        "__type": "Rate Limit Error",
        "message": (
            f"無効な API トークンでの要求が多すぎます。{wait} 秒後に再試行してください。 / "
            f"Too many requests with an invalid API token; retry in {wait} seconds."
        ),
        "retry_after": wait,
    }
    return b'{"help": ' + help_text + b', "success": false, "error": ' + dumps(error) + b"}"
