"""What every staff page module uses: rendering, the signed-in user, access.

    @router.get("/staff/thing")
    async def thing(request: Request, user: SignedIn):   # SignedIn: Depends(require_user)
        catalog = user_catalog(request, user)          # acts AS the user: catalog auth decides
        if not catalog.check_access("package_update", {"id": name}):
            return forbidden(request, "このデータセットを更新する権限がありません。")
        return render(request, "staff/thing.html", item=...)

Templates are looked up in kokai/web/staff/templates, then in the public
site's kokai/site/templates (its _head.html and _macros.html are shared, not
copied). Every page gets `user`, `csrf_field()`, `csrf_token`, `url(path)`,
`asset(name)` and `config` (the city's name). CSRF is checked centrally
(kokai/web/staff/csrf.py); forms only need ``{{ csrf_field() }}``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from starlette.responses import Response

from kokai.catalog.client import LocalCatalog
from kokai.site.render import PAGE_CSP, filesize, fingerprint, ja_date, number
from kokai.site.render import STATIC as SITE_STATIC
from kokai.site.render import TEMPLATES as SITE_TEMPLATES
from kokai.web.staff.csrf import FIELD, set_anonymous_cookie, token_for
from kokai.web.staff.headers import PAGE_HEADERS
from kokai.web.staff.session_cookie import current_session, load_session

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
JST = timezone(timedelta(hours=9), "JST")


@dataclass(frozen=True)
class StaffUser:
    """The signed-in user, as the staff pages know them."""

    id: str
    name: str
    fullname: str
    sysadmin: bool

    @property
    def display_name(self) -> str:
        return self.fullname or self.name


@dataclass(frozen=True)
class StaffSite:
    """The `config` basics every staff page may show."""

    city_name: str
    city_code: str
    site_url: str

    @property
    def title(self) -> str:
        return (
            f"{self.city_name}オープンデータ 職員ページ" if self.city_name else "kokai 職員ページ"
        )


class StaffPageError(Exception):
    """Raised by dependencies (`require_user`, ...) to answer with `response`
    instead of running the endpoint; `mount_staff` installs the handler."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def ja_datetime(value: Any) -> str:
    """A catalog time (naive UTC, a datetime or its ISO text) in Japan time:
    2026年11月27日 14:05; '' for nothing."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日 {local.hour:02d}:{local.minute:02d}"


environment = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(TEMPLATES), jinja2.FileSystemLoader(SITE_TEMPLATES)]
    ),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
environment.filters.update(
    ja_date=ja_date, ja_datetime=ja_datetime, filesize=filesize, number=number
)
environment.globals.update(page_csp=PAGE_CSP)


@functools.cache
def static_version() -> str:
    """A short hash over both static folders, so browsers fetch changed files."""
    return fingerprint(SITE_STATIC, STATIC)


def url_for_path(request: Request, path: str) -> str:
    """A link to an app path ("/staff/upload"), under the app's root path (a proxy's prefix)."""
    root = (request.scope.get("root_path") or "").rstrip("/")
    return root + "/" + path.lstrip("/")


def staff_site(request: Request) -> StaffSite:
    config = request.app.state.config
    return StaffSite(config.city_name, config.city_code, config.site_url)


def current_user(request: Request) -> StaffUser | None:
    """The signed-in user of this request, or None."""
    found = current_session(request)
    if found is None:
        return None
    return StaffUser(found.user_id, found.user_name, found.fullname or "", found.sysadmin)


def render(
    request: Request, template_name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A staff page: the template rendered with the common context, and the
    staff security headers."""
    token = token_for(request)
    field = Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, escape(token))
    values: dict[str, Any] = {
        "request": request,
        "user": current_user(request),
        "csrf_token": token,
        "csrf_field": lambda: field,
        "url": lambda path="": url_for_path(request, path),
        "asset": lambda name: (
            url_for_path(request, "/staff/static/" + name) + "?v=" + static_version()
        ),
        "config": staff_site(request),
        "current_path": request.url.path,
    }
    values.update(context)
    html = environment.get_template(template_name).render(values)
    response = HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
    set_anonymous_cookie(request, response)
    return response


def message_page(request: Request, status_code: int, title: str, message_ja: str) -> HTMLResponse:
    return render(request, "staff/error.html", status_code, title=title, message=message_ja)


def forbidden(request: Request, message_ja: str) -> HTMLResponse:
    """A 403 page saying (in Japanese) what the user may not do."""
    return message_page(request, 403, "この操作はできません", message_ja)


def not_found(request: Request, message_ja: str) -> HTMLResponse:
    return message_page(request, 404, "見つかりません", message_ja)


def login_url(request: Request) -> str:
    """The sign-in page, coming back to this page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return url_for_path(request, "/staff/login") + "?next=" + quote(target, safe="")


async def require_user(request: Request) -> StaffUser:
    """Dependency: the signed-in user. Without one, a GET is sent to the
    sign-in page (303) and any other method is answered 401."""
    await load_session(request)
    user = current_user(request)
    if user is not None:
        return user
    if request.method in ("GET", "HEAD"):
        raise StaffPageError(RedirectResponse(login_url(request), status_code=303))
    raise StaffPageError(
        message_page(
            request,
            401,
            "ログインしてください",
            "ログインの有効期限が切れました。もう一度ログインしてから操作してください。",
        )  # fmt: skip
    )


async def require_sysadmin(request: Request) -> StaffUser:
    """Dependency: a signed-in sysadmin (403 otherwise). Where a catalog action
    exists, ask the catalog's auth instead (`user_catalog(...).check_access`)."""
    user = await require_user(request)
    if not user.sysadmin:
        raise StaffPageError(forbidden(request, "このページはシステム管理者だけが使えます。"))
    return user


SignedIn = Annotated[StaffUser, Depends(require_user)]  # an endpoint parameter's type
SignedInSysadmin = Annotated[StaffUser, Depends(require_sysadmin)]


def creatable_organizations(catalog: LocalCatalog) -> list[dict[str, str]]:
    """The organisations the catalog's user may create datasets in, [{name, title}]."""
    found = catalog.action.organization_list_for_user(permission="create_dataset")
    return [{"name": o["name"], "title": o.get("display_name") or o.get("title") or o["name"]} for o in found]


def user_catalog(request: Request, user: StaffUser) -> LocalCatalog:
    """The catalog acting as `user`: its auth functions decide every read and write."""
    return request.app.state.catalog.as_user(user.name)
