"""活用事例 (reuses) in the web pages: the public submission form and the
moderators' queue (issue 11 point 6).

- ``/reuses/new`` (GET, POST; anyone, no sign-in): title, URL, kind, the
  datasets used (public ones only; ``?dataset=NAME`` preselects one),
  description and a contact e-mail for the moderators. The catalog's
  ``reuse_create`` refuses anonymous callers (only staff create showcases), so
  the form is the site's own front door: it accepts only these fields, only
  public datasets, and a few submissions per address (``SUBMISSIONS_PER_HOUR``,
  kokai/web/ratelimit.py), then runs ``reuse_create`` as the site, the same
  call as ``kokai reuse add``; the entry is pending, so private and unseen
  until approved. A honeypot field that people never see (``HONEYPOT``)
  refuses bots. CSRF is checked centrally (kokai/web/staff/csrf.py).
- ``/staff/reuses`` (signed-in moderators): the pending entries with their
  details and approve / reject buttons, and the recently decided ones. Every
  read and decision is made as the signed-in user, so the catalog's auth
  (kokai/catalog/auth/showcase.py: sysadmins and admins of the organisations
  owning the linked datasets) decides; an editor gets 403.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import NotAuthorized, NotFound, ValidationError
from kokai.catalog.reuses import (
    APPROVED,
    MODERATION_LABELS,
    PENDING,
    REJECTED,
    REUSE_TYPE_LABELS,
    REUSE_TYPES,
    is_web_url,
)
from kokai.web.ratelimit import RateLimiter
from kokai.web.staff.common import (
    SignedIn,
    StaffUser,
    forbidden,
    not_found,
    render,
    url_for_path,
    user_catalog,
)
from kokai.web.token_guard import client_key

router = APIRouter()

SUBMISSIONS_PER_HOUR = 5  # per client address: a person submits one or two, a spammer many
HONEYPOT = "homepage"  # a field hidden from people; only a form-filling bot writes in it
FIELDS = ("title", "url", "reuse_type", "datasets", "description", "contact")
LIMITS = {"title": 200, "url": 2000, "description": 5000, "contact": 254}
RECENT = 20  # decided entries shown under the queue
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# the catalog's field → the form's
CATALOG_FIELDS = {"notes": "description", "name": "url"}
ENGLISH_MESSAGES = (
    (re.compile(r"Missing value"), "入力してください。"),
    (re.compile(r"Must be at most (\d+) characters"), r"\1 文字以内にしてください。"),
    (re.compile(r"control char", re.I), "使えない制御文字が含まれています。"),
)
REFUSED_AS_BOT = (
    "送信を受け付けられませんでした。ブラウザーの自動入力で、表示されていない欄に入力された"
    "可能性があります。ページを読み込み直してから、もう一度送信してください。"
)


# ---------------------------------------------------------------- the public form


@dataclass
class ReuseForm:
    """What the visitor typed, and the problems found in it (Japanese, per field)."""

    title: str = ""
    url: str = ""
    reuse_type: str = ""
    datasets: list[str] = field(default_factory=list)
    description: str = ""
    contact: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def of(self, name: str) -> list[str]:
        return self.errors.get(name, [])

    @property
    def summary(self) -> list[tuple[str, str]]:
        """(field, message) in the order of the form, for the summary at the top."""
        order = {name: i for i, name in enumerate(FIELDS)}
        return [
            (name, message)
            for name in sorted(self.errors, key=lambda n: order.get(n, len(order)))
            for message in self.errors[name]
        ]


def submission_limiter(request: Request) -> RateLimiter:
    """The app's counter of submissions per client address, made on first use
    (in the event loop, so never twice; mount_staff is not this module's to edit)."""
    state = request.app.state
    limiter = getattr(state, "reuse_submissions", None)
    if limiter is None:
        limiter = state.reuse_submissions = RateLimiter(SUBMISSIONS_PER_HOUR, 3600.0)
    return limiter


def public_datasets(catalog: LocalCatalog) -> list[tuple[str, str]]:
    """(name, title) of every dataset an anonymous visitor may read, by title."""
    anonymous = catalog.as_user(None)
    found: list[tuple[str, str]] = []
    start = 0
    while True:
        page = anonymous.action.package_search(rows=1000, start=start, sort="name asc")
        found.extend((p["name"], p.get("title") or p["name"]) for p in page["results"])
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            break
    return sorted(found, key=lambda item: (item[1], item[0]))


def read_form(values: Any) -> ReuseForm:
    def text(name: str) -> str:
        value = values.get(name)
        return value.strip() if isinstance(value, str) else ""

    chosen = [v.strip() for v in values.getlist("datasets") if isinstance(v, str) and v.strip()]
    return ReuseForm(
        title=text("title"),
        url=text("url"),
        reuse_type=text("reuse_type"),
        datasets=list(dict.fromkeys(chosen)),
        description=text("description"),
        contact=text("contact"),
    )


def check_form(form: ReuseForm, public: set[str]) -> None:
    """The checks a person needs explained before the catalog sees the entry."""
    if not form.title:
        form.add("title", "タイトルを入力してください。")
    if not form.url:
        form.add("url", "URL を入力してください。")
    elif not is_web_url(form.url):
        form.add(
            "url", "URL は http:// か https:// で始まる、ウェブページのアドレスにしてください。"
        )
    if form.reuse_type not in REUSE_TYPES:
        form.add("reuse_type", "種類を選んでください。")
    if not form.datasets:
        form.add("datasets", "使ったデータセットを1つ以上選んでください。")
    elif any(name not in public for name in form.datasets):
        form.add("datasets", "一覧にあるデータセットから選んでください。")
    if form.contact and not _EMAIL.fullmatch(form.contact):
        form.add("contact", "連絡先はメールアドレス（例：name@example.jp）で入力してください。")
    for name, limit in LIMITS.items():
        if len(getattr(form, name)) > limit:
            form.add(name, f"{limit:,} 文字以内にしてください。")


def japanese_message(message: str) -> str:
    """The Japanese half of a catalog message ("日本語 / English"), or a
    Japanese wording of the catalog's English-only ones."""
    head, sep, _ = message.partition(" / ")
    if sep and not head.isascii():
        return head
    if not message.isascii():
        return message
    for pattern, wording in ENGLISH_MESSAGES:
        match = pattern.search(message)
        if match:
            return match.expand(wording)
    return f"入力内容を確かめてください（{message}）。"


def catalog_errors(form: ReuseForm, errors: dict[str, Any]) -> None:
    """Put the catalog's ValidationError messages next to the form's fields."""
    for key, messages in errors.items():
        name = CATALOG_FIELDS.get(key, key)
        if name not in FIELDS:
            name = "__form"
        items = messages if isinstance(messages, list) else [messages]
        for message in items:
            form.add(name, japanese_message(str(message)))


def create_reuse(catalog: LocalCatalog, form: ReuseForm) -> dict:
    """`reuse_create` as the site (what `kokai reuse add` runs), with only the
    form's fields: nothing else a visitor sends reaches the catalog."""
    return catalog.as_site().action.reuse_create(
        title=form.title,
        url=form.url,
        reuse_type=form.reuse_type,
        datasets=form.datasets,
        notes=form.description or None,
        contact=form.contact or None,
    )


def form_page(request: Request, form: ReuseForm, datasets: list[tuple[str, str]],
              status_code: int = 200, notice: str = "") -> Response:  # fmt: skip
    return render(
        request,
        "staff/reuse_new.html",
        status_code,
        form=form,
        datasets=datasets,
        types=[(kind, REUSE_TYPE_LABELS[kind]) for kind in REUSE_TYPES],
        honeypot=HONEYPOT,
        notice=notice,
    )


def too_many(
    request: Request, form: ReuseForm, datasets: list[tuple[str, str]], wait: int
) -> Response:
    """429: the form again (what was typed is kept), saying when to try again."""
    minutes = max(1, (wait + 59) // 60)
    notice = (
        "この接続からの投稿が続いたため、受付を一時的に止めています。"
        f"約 {minutes} 分後にもう一度送信してください。"
    )
    response = form_page(request, form, datasets, 429, notice=notice)
    response.headers["Retry-After"] = str(wait)
    return response


@router.get("/reuses/new")
async def new_reuse_form(request: Request, dataset: str = "") -> Response:
    catalog = request.app.state.catalog
    datasets = await run_in_threadpool(public_datasets, catalog)
    names = {name for name, _ in datasets}
    form = ReuseForm(datasets=[dataset] if dataset in names else [])
    return form_page(request, form, datasets)


@router.post("/reuses/new")
async def submit_reuse(request: Request) -> Response:
    limiter = submission_limiter(request)
    client = client_key(request.scope)
    values = await request.form()
    catalog = request.app.state.catalog
    datasets = await run_in_threadpool(public_datasets, catalog)
    form = read_form(values)
    wait = limiter.retry_after(client)
    if wait:
        return too_many(request, form, datasets, wait)
    if values.get(HONEYPOT):
        limiter.failure(client)
        return form_page(request, form, datasets, 400, notice=REFUSED_AS_BOT)
    check_form(form, {name for name, _ in datasets})
    if not form.errors:
        try:
            await run_in_threadpool(create_reuse, catalog, form)
        except ValidationError as exc:
            catalog_errors(form, exc.errors)
    if form.errors:
        return form_page(request, form, datasets, 400)
    limiter.failure(client)  # one submission counted against the address
    return RedirectResponse(url_for_path(request, "/reuses/thanks"), status_code=303)


@router.get("/reuses/thanks")
async def thanks(request: Request) -> Response:
    return render(request, "staff/reuse_thanks.html")


# ---------------------------------------------------------------- moderation


def may_moderate_any(catalog: LocalCatalog, user: StaffUser) -> bool:
    """Whether the catalog lets this user moderate some reuse: a sysadmin, or an
    admin of some organisation (whose datasets' reuses they moderate; see
    kokai.catalog.auth.showcase). Asked as the admin-only organisation action."""
    if user.sysadmin:
        return True
    return any(
        catalog.check_access("organization_member_create", {"id": name})
        for name in catalog.action.organization_list()
    )


def moderation_state(catalog: LocalCatalog, user: StaffUser) -> dict[str, Any] | None:
    """The queue (pending, oldest first) and the recently decided entries the
    user may review, each with `can_moderate`; None when the user moderates nothing."""
    if not may_moderate_any(catalog, user):
        return None
    items = catalog.action.reuse_list()
    for item in items:
        item["can_moderate"] = "contact" in item and catalog.check_access(
            "reuse_moderate", {"id": item["id"]}
        )
        item["type_label"] = REUSE_TYPE_LABELS.get(item["reuse_type"], item["reuse_type"])
        item["state_label"] = MODERATION_LABELS.get(item["moderation_state"], "")
    reviewable = [item for item in items if "contact" in item]  # moderators' details
    pending = [item for item in reviewable if item["moderation_state"] == PENDING]
    pending.reverse()  # reuse_list is newest first; the queue is served oldest first
    decided = [item for item in reviewable if item["moderation_state"] in (APPROVED, REJECTED)]
    decided.sort(key=lambda item: item.get("moderated") or "", reverse=True)
    return {"pending": pending, "decided": decided[:RECENT]}


def queue_page(request: Request, user: StaffUser, state: dict[str, Any], status_code: int = 200,
               done: dict | None = None, problems: list[str] | None = None) -> Response:  # fmt: skip
    return render(
        request, "staff/reuse_queue.html", status_code,
        pending=state["pending"], decided=state["decided"], done=done, problems=problems or [],
        site_reuses=request.app.state.config.site_url.rstrip("/") + "/reuses/",
    )  # fmt: skip


NOT_A_MODERATOR = (
    "活用事例を承認・却下できるのは、システム管理者と、データセットを持つ組織の管理者です。"
)


@router.get("/staff/reuses")
async def moderation_queue(request: Request, user: SignedIn, done: str = "") -> Response:
    catalog = user_catalog(request, user)
    state = await run_in_threadpool(moderation_state, catalog, user)
    if state is None:
        return forbidden(request, NOT_A_MODERATOR)
    decided = None
    if done:
        decided = next((item for item in state["decided"] if item["id"] == done), None)
    return queue_page(request, user, state, done=decided)


DECISIONS = {"approve": APPROVED, "reject": REJECTED}


@router.post("/staff/reuses/{reuse_id}/{decision}")
async def moderate(request: Request, reuse_id: str, decision: str, user: SignedIn) -> Response:
    if decision not in DECISIONS:
        return not_found(request, "そのような操作はありません。")
    catalog = user_catalog(request, user)
    try:
        await run_in_threadpool(
            lambda: catalog.action.reuse_moderate(id=reuse_id, moderation_state=DECISIONS[decision])
        )
    except NotAuthorized:
        return forbidden(
            request, "この活用事例を承認・却下する権限がありません。" + NOT_A_MODERATOR
        )
    except NotFound:
        return not_found(request, "その活用事例は見つかりません。削除された可能性があります。")
    except ValidationError as exc:
        problems = [
            japanese_message(str(m))
            for messages in exc.errors.values()
            for m in (messages if isinstance(messages, list) else [messages])
        ]
        state = await run_in_threadpool(moderation_state, catalog, user)
        if state is None:
            return forbidden(request, NOT_A_MODERATOR)
        return queue_page(request, user, state, 400, problems=problems)
    target = url_for_path(request, "/staff/reuses") + "?done=" + quote(reuse_id, safe="")
    return RedirectResponse(target, status_code=303)
