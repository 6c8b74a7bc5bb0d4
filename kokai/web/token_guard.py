"""Failed API-token attempts, rate-limited per client IP.

A request whose ``Authorization`` / ``X-CKAN-API-Key`` token matches no
active user runs anonymously, as in CKAN, but is counted against the
client's IP; after `LIMIT` such failures within `WINDOW` seconds the client's
token-bearing requests are answered 429 with ``Retry-After`` (and no database
query) until the oldest failure leaves the window. Anonymous requests from
the same IP are not affected, nor are other clients' valid tokens.
"""

from __future__ import annotations

from collections.abc import Callable

from kokai.catalog.dictize import dumps
from kokai.web.ratelimit import RateLimiter

LIMIT = 10  # failed token attempts per client ...
WINDOW = 60.0  # ... per this many seconds (sliding)
MAX_CLIENTS = 10_000  # clients tracked at once (least recently failed forgotten first)


class TokenGuard:
    """Counts a client's failed tokens (LocalCatalog.run reports them through
    `on_unknown_token`, from the one token lookup the request makes) and says
    how long a blocked client must wait."""

    def __init__(self, limiter: RateLimiter | None = None):
        self.limiter = RateLimiter(LIMIT, WINDOW, MAX_CLIENTS) if limiter is None else limiter

    def retry_after(self, client: str) -> int:
        """Seconds the client must wait before sending a token again (0: go on)."""
        return self.limiter.retry_after(client)

    def failure_hook(self, client: str) -> Callable[[], None]:
        return lambda: self.limiter.failure(client)


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
