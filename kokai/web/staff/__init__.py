"""The staff UI (issue 11): sign-in, my datasets, upload, describe, publish, 活用事例, KPIs.

`mount_staff(app, config)` is called by `kokai.web.app.create_app` before the
public site is mounted. Each feature module exposes a `router` (an
APIRouter); `include` adds it with the dependencies every staff route needs:
the login session is loaded, and unsafe methods under /staff/ and /reuses/
must carry the CSRF token (kokai/web/staff/csrf.py). To add a module, add one
import and one `include(app, module.router)` line below.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.staticfiles import StaticFiles

from kokai.config import Config
from kokai.web.staff.common import STATIC, StaffPageError, message_page
from kokai.web.staff.csrf import CsrfRefused, csrf_protect, load_key
from kokai.web.staff.headers import StaffHeaders
from kokai.web.staff.session_cookie import load_session

STAFF_DEPENDENCIES = [Depends(load_session), Depends(csrf_protect)]


def include(app: FastAPI, router: APIRouter) -> None:
    """Add a feature module's router with the session and CSRF dependencies
    (HTML pages, not API: left out of the OpenAPI document)."""
    app.include_router(router, dependencies=STAFF_DEPENDENCIES, include_in_schema=False)


async def _page_error(request: Request, exc: StaffPageError):
    return exc.response


async def _csrf_refused(request: Request, exc: CsrfRefused):
    return message_page(request, 403, "送信を受け付けられません", exc.message_ja)


def mount_staff(app: FastAPI, config: Config) -> None:
    from kokai.web.staff import datasets, describe, kpi, login, publishing, reuse_forms, uploads

    app.state.staff_csrf_key = load_key(app.state.catalog)
    app.state.staff_login_guard = login.LoginGuard()
    app.add_exception_handler(StaffPageError, _page_error)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_middleware(StaffHeaders)
    # the staff's own files first, then the public site's (site.css is shared, not copied)
    app.mount(
        "/staff/static",
        StaticFiles(directory=STATIC, packages=[("kokai.site", "static")]),
        name="staff-static",
    )
    for module in (login, datasets, uploads, describe, publishing, reuse_forms, kpi):
        include(app, module.router)
