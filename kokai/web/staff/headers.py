"""Security headers of the staff pages.

Every response under /staff (pages, redirects, errors) gets the public
site's Content-Security-Policy as an HTTP header, with ``frame-ancestors
'none'`` (which a <meta> policy cannot say), X-Frame-Options DENY, a
Referrer-Policy, and ``Cache-Control: no-store`` (pages show private data;
the static files under /staff/static/ may be cached). `render` adds the same
headers to staff-rendered pages elsewhere (the public 活用事例 form).
"""

from __future__ import annotations

from kokai.site.render import PAGE_CSP

# The public site's policy, plus what only a header can say.
CSP = PAGE_CSP + "; frame-ancestors 'none'"
PAGE_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATIC_PREFIX = "/staff/static/"


def is_staff_path(path: str) -> bool:
    return path == "/staff" or path.startswith("/staff/")


class StaffHeaders:
    """Pure-ASGI middleware adding `PAGE_HEADERS` to responses under /staff
    (without Cache-Control for the static files); headers the endpoint set stay."""

    def __init__(self, app):
        self.app = app
        self.page = [(k.lower().encode(), v.encode()) for k, v in PAGE_HEADERS.items()]
        self.static = [pair for pair in self.page if pair[0] != b"cache-control"]

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not is_staff_path(path):
            await self.app(scope, receive, send)
            return
        extra = self.static if path.startswith(STATIC_PREFIX) else self.page

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {key.lower() for key, _ in headers}
                headers += [pair for pair in extra if pair[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
