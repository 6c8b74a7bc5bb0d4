"""Sign-in, sessions, CSRF and the staff pages' headers (issue 11 point 1)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from kokai.catalog import login_sessions, passwords
from kokai.catalog.client import LocalCatalog
from kokai.catalog.errors import ValidationError
from kokai.catalog.models import LoginSession, User, utcnow
from kokai.cli import main as kokai_main
from kokai.site.render import PAGE_CSP
from kokai.web.app import create_app
from kokai.web.ratelimit import RateLimiter
from kokai.web.staff import include
from kokai.web.staff.common import SignedIn, SignedInSysadmin, current_user
from kokai.web.staff.headers import CSP
from kokai.web.staff.login import FAILED, LoginGuard, safe_next
from tests.web.staff.conftest import PASSWORDS, csrf_of, sign_in, signed_in_client

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def session_cookie(response) -> SimpleCookie:
    """The kokai_session Set-Cookie of a response, parsed (with its attributes)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("kokai_session="):
            cookie = SimpleCookie()
            cookie.load(header)
            return cookie
    raise AssertionError(f"no kokai_session cookie in {response.headers.get_list('set-cookie')}")


def stored_hashes(config) -> set[str]:
    with LocalCatalog(config).session() as session:
        return set(session.scalars(select(LoginSession.id_hash)))


def is_signed_in(app, raw_id: str) -> bool:
    """A fresh browser holding only this session cookie reaches /staff/."""
    with TestClient(app) as browser:
        browser.cookies.set("kokai_session", raw_id)
        return browser.get("/staff/", follow_redirects=False).status_code == 200


# ---------------------------------------------------------------- signing in


def test_sign_in_sets_an_httponly_lax_session_cookie_whose_id_is_stored_hashed(
    staff_client, staff_config
):
    response = sign_in(staff_client, "editor")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/"
    morsel = session_cookie(response)["kokai_session"]
    raw_id = morsel.value
    assert len(raw_id) >= 40
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    assert not morsel["secure"]  # the demo site is http://127.0.0.1
    hashes = stored_hashes(staff_config)
    assert hashlib.sha256(raw_id.encode()).hexdigest() in hashes
    assert raw_id not in hashes
    page = staff_client.get("/staff/")
    assert page.status_code == 200
    assert "防災 花子" in page.text


def test_session_cookie_is_secure_when_the_site_is_https(staff_config):
    staff_config.site_url = "https://opendata.example.jp"
    with TestClient(create_app(staff_config), base_url="https://testserver") as client:
        response = sign_in(client, "editor")  # the CSRF cookie is Secure too: https only
    assert response.status_code == 303
    morsel = session_cookie(response)["kokai_session"]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True


def test_wrong_password_and_unknown_user_get_the_same_answer(staff_client):
    wrong = sign_in(staff_client, "editor", password="not-the-password")
    nobody = staff_client.post(
        "/staff/login",
        data={"username": "no-such-user", "password": "whatever-pass",
              "csrf_token": csrf_of(staff_client.get("/staff/login").text)},
        follow_redirects=False,
    )  # fmt: skip
    for response in (wrong, nobody):
        assert response.status_code == 401
        assert FAILED in response.text
        assert "kokai_session" not in staff_client.cookies
        assert not [
            h for h in response.headers.get_list("set-cookie") if h.startswith("kokai_session=")
        ]
    assert wrong.text.replace('value="editor"', "") == nobody.text.replace(
        'value="no-such-user"', ""
    )


def test_an_unknown_user_costs_one_password_verification(staff_client, monkeypatch):
    calls = []
    real = passwords.hasher

    class CountingHasher:
        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "hasher", CountingHasher())
    form = staff_client.get("/staff/login")
    response = staff_client.post(
        "/staff/login",
        data={
            "username": "no-such-user",
            "password": "anything-at-all",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert response.status_code == 401
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")  # the dummy hash


def test_sign_in_replaces_any_session_the_browser_had(staff_app, staff_client, staff_config):
    staff_client.cookies.set("kokai_session", "planted-by-an-attacker")
    first = sign_in(staff_client, "editor")
    first_id = session_cookie(first)["kokai_session"].value
    assert first_id != "planted-by-an-attacker"
    second = sign_in(staff_client, "editor")
    assert second.status_code == 303
    second_id = session_cookie(second)["kokai_session"].value
    assert second_id != first_id
    assert not is_signed_in(staff_app, first_id)  # the old session ended on the server
    assert is_signed_in(staff_app, second_id)
    assert hashlib.sha256(first_id.encode()).hexdigest() not in stored_hashes(staff_config)


def test_sign_out_ends_the_session_on_the_server(staff_app, staff_client, staff_config):
    signed_in_client(staff_client, "editor")
    raw_id = staff_client.cookies.get("kokai_session")
    page = staff_client.get("/staff/")
    response = staff_client.post(
        "/staff/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login"
    assert "kokai_session" not in staff_client.cookies
    assert hashlib.sha256(raw_id.encode()).hexdigest() not in stored_hashes(staff_config)
    assert not is_signed_in(staff_app, raw_id)  # replaying the old cookie does not work


def test_an_anonymous_page_goes_to_the_sign_in_form_and_comes_back(staff_client):
    response = staff_client.get("/staff/?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=%2Fstaff%2F%3Fx%3D1"
    form = staff_client.get(response.headers["location"])
    assert 'name="next" value="/staff/?x=1"' in form.text
    done = sign_in(staff_client, "editor", next_path="/staff/?x=1")
    assert done.headers["location"] == "/staff/?x=1"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/staff/", "//evil.example/staff/", "/\\evil.example", "\\\\evil.example",
     "/datasets/", "/staff/../api/3/action/package_list", "/staff/%2e%2e/evil", "javascript:alert(1)",
     "/staffing", "http:/staff/", " /staff/", "/staff/\nSet-Cookie: x=1", "/staff/logout"],
)  # fmt: skip
def test_next_never_leads_off_the_staff_pages(staff_client, target):
    assert safe_next(target) == "/staff/"
    response = sign_in(staff_client, "editor", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/"


def test_next_keeps_a_staff_path_and_its_query():
    assert safe_next("/staff/kpi?from=2026-04&to=2027-03") == "/staff/kpi?from=2026-04&to=2027-03"
    assert safe_next("/staff/datasets/shelters") == "/staff/datasets/shelters"


# ---------------------------------------------------------------- rate limits


def test_failed_sign_ins_are_limited_per_user_name(staff_client):
    for _ in range(5):
        assert sign_in(staff_client, "editor", password="wrong-password").status_code in (401, 429)
    blocked = sign_in(staff_client, "editor")  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0
    assert "ログインの失敗が続いた" in blocked.text
    assert "kokai_session" not in staff_client.cookies
    assert (
        sign_in(staff_client, "ＥＤＩＴＯＲ", password="x" * 10).status_code == 429
    )  # same name, other form
    assert sign_in(staff_client, "other_editor").status_code == 303  # other names still sign in


def test_failed_sign_ins_are_limited_per_client(staff_app, staff_client):
    staff_app.state.staff_login_guard = LoginGuard(per_client=RateLimiter(3, 600))
    for name in ("a-user", "b-user", "c-user"):
        form = staff_client.get("/staff/login")
        staff_client.post("/staff/login", data={"username": name, "password": "wrong-password",
                                                "csrf_token": csrf_of(form.text)})  # fmt: skip
    blocked = sign_in(staff_client, "editor")
    assert blocked.status_code == 429
    assert "ログインの失敗が続いた" in blocked.text


# ---------------------------------------------------------------- CSRF


def test_a_post_without_the_token_is_refused_and_changes_nothing(staff_app, staff_client):
    signed_in_client(staff_client, "editor")
    raw_id = staff_client.cookies.get("kokai_session")
    response = staff_client.post("/staff/logout", follow_redirects=False)
    assert response.status_code == 403
    assert "送信" in response.text
    assert is_signed_in(staff_app, raw_id)
    anonymous = TestClient(staff_app)
    refused = anonymous.post("/staff/login", data={"username": "editor", "password": PASSWORDS["editor"]},
                             follow_redirects=False)  # fmt: skip
    assert refused.status_code == 403
    assert "kokai_session" not in anonymous.cookies


def test_a_token_of_another_session_is_refused(staff_app, staff_client):
    signed_in_client(staff_client, "editor")
    with TestClient(staff_app) as other:
        signed_in_client(other, "other_editor")
        other_token = csrf_of(other.get("/staff/").text)
    raw_id = staff_client.cookies.get("kokai_session")
    response = staff_client.post(
        "/staff/logout", data={"csrf_token": other_token}, follow_redirects=False
    )
    assert response.status_code == 403
    assert is_signed_in(staff_app, raw_id)
    header = staff_client.post(
        "/staff/logout", headers={"X-CSRF-Token": other_token}, follow_redirects=False
    )
    assert header.status_code == 403
    own = csrf_of(staff_client.get("/staff/").text)
    assert (
        staff_client.post(
            "/staff/logout", headers={"X-CSRF-Token": own}, follow_redirects=False
        ).status_code
        == 303
    )


def test_an_anonymous_token_must_match_its_signed_cookie(staff_app):
    with TestClient(staff_app) as client:
        token = csrf_of(client.get("/staff/login").text)
        assert client.cookies.get("kokai_csrf") == token
    with TestClient(staff_app) as forger:  # a cookie planted without the key does not verify
        forger.cookies.set("kokai_csrf", "chosen.nonce")
        response = forger.post("/staff/login", data={"username": "editor", "password": PASSWORDS["editor"],
                                                      "csrf_token": "chosen.nonce"})  # fmt: skip
        assert response.status_code == 403
    with TestClient(staff_app) as stranger:  # a valid token without its cookie
        response = stranger.post("/staff/login", data={"username": "editor", "password": PASSWORDS["editor"],
                                                        "csrf_token": token})  # fmt: skip
        assert response.status_code == 403


def test_a_cross_origin_post_is_refused_even_with_its_token(staff_app, staff_client):
    signed_in_client(staff_client, "editor")
    raw_id = staff_client.cookies.get("kokai_session")
    token = csrf_of(staff_client.get("/staff/").text)
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        response = staff_client.post("/staff/logout", data={"csrf_token": token}, headers=headers,
                                     follow_redirects=False)  # fmt: skip
        assert response.status_code == 403, headers
    assert is_signed_in(staff_app, raw_id)
    same = staff_client.post("/staff/logout", data={"csrf_token": token}, headers={"Origin": "http://testserver"},
                             follow_redirects=False)  # fmt: skip
    assert same.status_code == 303


def unsafe_routes(routes, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every unsafe route, inside included routers too."""
    found = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI keeps included routers as such
            found += unsafe_routes(
                inner.routes, prefix + getattr(route.include_context, "prefix", "")
            )
        for method in sorted((getattr(route, "methods", None) or set()) & UNSAFE):
            found.append((method, prefix + route.path))
    return found


def test_every_unsafe_staff_and_reuse_route_refuses_a_request_without_the_token(
    staff_app, staff_client
):
    signed_in_client(staff_client, "admin")
    raw_id = staff_client.cookies.get("kokai_session")
    checked = []
    for method, path in unsafe_routes(staff_app.routes):
        if path.startswith(("/staff", "/reuses")):
            url = re.sub(r"\{[^}]+\}", "1", path)
            response = staff_client.request(
                method, url, data={"title": "x"}, follow_redirects=False
            )
            assert response.status_code == 403, (method, path, response.status_code)
            assert "送信を受け付けられません" in response.text, (method, path)
            checked.append(path)
    assert {"/staff/login", "/staff/logout"} <= set(checked)
    assert is_signed_in(staff_app, raw_id)


# ---------------------------------------------------------------- the common API


def test_require_user_and_require_sysadmin(staff_app):
    router = APIRouter()

    @router.get("/staff/test-only/user")
    async def user_page(request: Request, user: SignedIn):
        return {"name": user.name, "same": current_user(request) == user}

    @router.post("/staff/test-only/user")
    async def user_post(user: SignedIn):
        return {"name": user.name}

    @router.get("/staff/test-only/admin")
    async def admin_page(user: SignedInSysadmin):
        return {"name": user.name}

    include(staff_app, router)
    with TestClient(staff_app) as client:
        assert client.get("/staff/test-only/admin", follow_redirects=False).status_code == 303
        token = csrf_of(client.get("/staff/login").text)
        anonymous_post = client.post("/staff/test-only/user", data={"csrf_token": token})
        assert anonymous_post.status_code == 401
        assert "ログイン" in anonymous_post.text
        signed_in_client(client, "editor")
        assert client.get("/staff/test-only/user").json() == {"name": "editor", "same": True}
        refused = client.get("/staff/test-only/admin")
        assert refused.status_code == 403
        assert "システム管理者" in refused.text
    with TestClient(staff_app) as admin:
        signed_in_client(admin, "admin")
        assert admin.get("/staff/test-only/admin").json() == {"name": "admin"}


def test_staff_pages_carry_the_security_headers(staff_client):
    anonymous = [staff_client.get("/staff/login"), staff_client.get("/staff/", follow_redirects=False),
                 staff_client.post("/staff/logout", follow_redirects=False)]  # fmt: skip
    signed_in_client(staff_client, "editor")
    for response in [*anonymous, staff_client.get("/staff/")]:
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "/staff/login" not in staff_client.get("/openapi.json").json()["paths"]  # pages, not API
    css = staff_client.get("/staff/static/site.css")  # the public site's, shared
    assert css.status_code == 200 and ".skip-link" in css.text
    assert staff_client.get("/staff/static/staff.css").status_code == 200


# ---------------------------------------------------------------- passwords in the catalog


def test_passwords_are_argon2_hashes_never_shown(staff_config):
    site = LocalCatalog(staff_config).as_site()
    shown = site.action.user_show(id="editor")
    assert not any("password" in key for key in shown)
    with site.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "editor"))
    assert stored.startswith("$argon2id$") and PASSWORDS["editor"] not in stored
    with pytest.raises(ValidationError) as short:
        site.action.user_create(name="shorty", password="short")
    assert "8" in str(short.value.errors["password"])


def test_an_old_hash_is_upgraded_at_sign_in(staff_config, staff_client):
    weak = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1).hash(PASSWORDS["editor"])
    assert passwords.hasher.check_needs_rehash(weak)  # other parameters than the current ones
    with LocalCatalog(staff_config).session() as session:
        passwords.set_password_hash(
            session, session.scalar(select(User.id).where(User.name == "editor")), weak
        )
    assert sign_in(staff_client, "editor").status_code == 303
    with LocalCatalog(staff_config).session() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == "editor"))
    assert stored != weak
    assert not passwords.hasher.check_needs_rehash(stored)
    assert passwords.verify_password(stored, PASSWORDS["editor"])


def test_users_change_their_own_password_with_the_old_one_and_other_sessions_end(
    staff_app, staff_client, staff_config
):
    signed_in_client(staff_client, "editor")
    raw_id = staff_client.cookies.get("kokai_session")
    as_editor = LocalCatalog(staff_config).as_user("editor")
    with pytest.raises(ValidationError):
        as_editor.action.user_update(id="editor", password="brand-new-password")
    with pytest.raises(ValidationError):
        as_editor.action.user_update(
            id="editor", password="brand-new-password", old_password="wrong-one"
        )
    as_editor.action.user_update(
        id="editor", password="brand-new-password", old_password=PASSWORDS["editor"]
    )
    assert not is_signed_in(staff_app, raw_id)
    assert sign_in(staff_client, "editor").status_code == 401
    assert sign_in(staff_client, "editor", password="brand-new-password").status_code == 303


def test_sessions_expire_when_idle_and_after_a_working_day(staff_config):
    catalog = LocalCatalog(staff_config)
    with catalog.session() as session:
        user_id = session.scalar(select(User.id).where(User.name == "editor"))
    start = utcnow()
    with catalog.session() as session:
        raw_id, csrf = login_sessions.start(session, user_id, now=start)
    with catalog.session() as session:
        found, then = login_sessions.lookup(session, raw_id, now=start + timedelta(minutes=5))
        assert found is not None and found.user_name == "editor" and found.csrf_token == csrf
        assert then == "touch"
        idle, then = login_sessions.lookup(
            session, raw_id, now=start + login_sessions.IDLE + timedelta(seconds=1)
        )
        assert idle is None and then == "end"
    # kept alive by requests, it still ends ABSOLUTE after sign-in
    moment = start
    with catalog.session() as session:
        while moment < start + login_sessions.ABSOLUTE - timedelta(hours=1):
            moment += timedelta(hours=1)
            login_sessions.touch(session, raw_id, now=moment)
        assert login_sessions.lookup(session, raw_id, now=moment)[0] is not None
        late, then = login_sessions.lookup(
            session, raw_id, now=start + login_sessions.ABSOLUTE + timedelta(minutes=1)
        )
        assert late is None and then == "end"


# ---------------------------------------------------------------- kokai user add


def test_kokai_user_add_sets_a_password_from_the_environment(
    staff_config, staff_app, monkeypatch, capsys
):
    args = [
        "--config",
        str(staff_config.source),
        "user",
        "add",
        "tanaka",
        "--org",
        "shiomi-city-bousai",
        "--password",
    ]
    monkeypatch.setenv("KOKAI_USER_PASSWORD", "short")
    assert kokai_main(args) != 0
    assert "8 文字以上" in capsys.readouterr().err
    monkeypatch.setenv("KOKAI_USER_PASSWORD", "tanaka-password-1")
    assert kokai_main(args) == 0
    assert "パスワードを設定しました" in capsys.readouterr().out
    with TestClient(staff_app) as client:
        response = sign_in(client, "tanaka", password="tanaka-password-1")
        assert response.status_code == 303
        assert "shelters" in client.get("/staff/").text  # an editor of the bousai organisation


def test_kokai_user_add_password_needs_a_terminal_or_the_environment(staff_config, capsys):
    args = ["--config", str(staff_config.source), "user", "add", "sato", "--password"]
    assert kokai_main(args) != 0  # pytest's stdin is no terminal, and KOKAI_USER_PASSWORD is unset
    assert "KOKAI_USER_PASSWORD" in capsys.readouterr().err
    with LocalCatalog(staff_config).session() as session:  # nothing was written
        assert session.scalar(select(User.id).where(User.name == "sato")) is None


def test_the_staff_policy_is_the_public_sites_plus_frame_ancestors(staff_client):
    page = staff_client.get("/staff/login")
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page.text).group(1)
    assert html.unescape(meta) == PAGE_CSP
    assert page.headers["content-security-policy"] == CSP == PAGE_CSP + "; frame-ancestors 'none'"
