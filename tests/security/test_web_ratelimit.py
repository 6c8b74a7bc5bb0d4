"""Failed API-token attempts are rate-limited per client IP (kokai.web.ratelimit,
kokai.web.token_guard): 429 with Retry-After and a CKAN error saying when to
retry; anonymous calls and other clients go on; memory stays bounded."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

ACTION = "/api/3/action"
WRONG = "kokai_this-token-matches-no-user"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(**kwargs):
    from kokai.web.ratelimit import RateLimiter

    clock = Clock()
    return RateLimiter(clock=clock, **kwargs), clock


def test_limiter_blocks_after_the_limit_until_the_window_passes():
    limit, clock = limiter(limit=3, window=60)
    assert [limit.failure("a") for _ in range(2)] == [0, 0]
    assert limit.retry_after("a") == 0
    clock.now += 10
    assert limit.failure("a") == 50  # the first failure leaves the window in 50 s
    assert limit.retry_after("a") == 50
    assert limit.retry_after("b") == 0
    clock.now += 49.5
    assert limit.retry_after("a") == 1  # rounded up, never 0 while blocked
    clock.now += 0.5
    assert limit.retry_after("a") == 0
    assert limit.failure("a") == 0  # the window slides: 1010 and 1060 are recent, 1000 is not
    assert limit.failure("a") == 10  # 1010, 1060, 1060: blocked until 1010 leaves the window
    assert limit.retry_after("a") == 10
    limit.reset("a")
    assert limit.retry_after("a") == 0


def test_limiter_memory_is_bounded():
    limit, clock = limiter(limit=5, window=60, max_keys=100)
    for n in range(10_000):
        limit.failure(f"198.51.100.{n}")
    assert len(limit) == 100
    for _ in range(5):
        limit.failure("203.0.113.9")  # the newest key stays; the oldest is forgotten
    assert len(limit) == 100
    assert limit.retry_after("203.0.113.9") == 60
    assert all(len(times) <= 5 for times in limit._failures.values())


def test_limiter_rejects_nonsense_settings():
    from kokai.web.ratelimit import RateLimiter

    for kwargs in ({"limit": 0}, {"window": 0}, {"max_keys": 0}):
        with pytest.raises(ValueError):
            RateLimiter(**kwargs)


def body_of_429(response) -> dict:
    assert response.status_code == 429, response.text[:300]
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["help"].endswith("/api/3/action/help_show?name=" + body["help"].rsplit("=", 1)[1])
    error = body["error"]
    assert error["__type"] == "Rate Limit Error"
    assert error["retry_after"] == wait
    assert f"{wait} 秒後に再試行" in error["message"]
    assert f"retry in {wait} seconds" in error["message"]
    return body


def test_failed_tokens_are_limited_per_client(sqlite_catalog):
    catalog = sqlite_catalog
    app = catalog.client.app
    catalog.ok("organization_create", {"name": "sample-city"})
    catalog.ok("package_create", {"name": "secret", "owner_org": "sample-city", "private": True})
    attacker = TestClient(app, client=("203.0.113.66", 5000))
    other = TestClient(app, client=("198.51.100.7", 5000))
    wrong = {"Authorization": WRONG}

    # The first ten failures run anonymously, as CKAN does (and are counted).
    for n in range(10):
        header = {"X-CKAN-API-Key": WRONG} if n % 2 else wrong
        response = attacker.get(f"{ACTION}/package_search", params={"q": "*:*"}, headers=header)
        assert response.status_code == 200, n
        assert response.json()["result"]["count"] == 0  # the private dataset is not seen
    assert len(app.state.token_guard.limiter) == 1

    # Then every token-bearing request of that client is 429, on every path.
    body_of_429(attacker.get(f"{ACTION}/package_search", headers=wrong))  # FastReadPath
    body_of_429(attacker.get(f"{ACTION}/package_show?id=secret", headers=wrong))
    body_of_429(attacker.post(f"{ACTION}/package_search", json={}, headers=wrong))  # routed
    body_of_429(
        attacker.post(
            f"{ACTION}/resource_create",
            data={"package_id": "secret"},
            files={"upload": ("a.csv", b"1,2\n", "text/csv")},
            headers=wrong,
        )
    )
    # Even a valid token from the blocked client: no more guesses are checked.
    admin = {"Authorization": catalog.sysadmin_token}
    body_of_429(attacker.get(f"{ACTION}/package_show?id=secret", headers=admin))

    # Anonymous requests of the same client go on.
    assert attacker.get(f"{ACTION}/package_list").status_code == 200
    # Another client: its valid token works, and a wrong one runs anonymously.
    response = other.get(f"{ACTION}/package_show?id=secret", headers=admin)
    assert response.status_code == 200
    assert response.json()["result"]["private"] is True
    assert other.get(f"{ACTION}/package_show?id=secret", headers=wrong).status_code == 403


def test_the_block_ends_when_the_window_passes(sqlite_catalog):
    from kokai.web.ratelimit import RateLimiter

    app = sqlite_catalog.client.app
    clock = Clock()
    app.state.token_guard.limiter = RateLimiter(limit=2, window=30, clock=clock)
    client = TestClient(app, client=("203.0.113.67", 5000))
    wrong = {"Authorization": WRONG}
    for _ in range(2):
        assert client.post(f"{ACTION}/package_search", json={}, headers=wrong).status_code == 200
    response = client.post(f"{ACTION}/package_search", json={}, headers=wrong)
    assert response.headers["retry-after"] == "30"
    body_of_429(response)
    clock.now += 30
    assert client.post(f"{ACTION}/package_search", json={}, headers=wrong).status_code == 200


def test_tracked_clients_are_bounded_in_the_app(sqlite_catalog):
    from kokai.web.ratelimit import RateLimiter

    app = sqlite_catalog.client.app
    app.state.token_guard.limiter = RateLimiter(limit=10, window=60, max_keys=20)
    for n in range(50):
        client = TestClient(app, client=(f"192.0.2.{n}", 5000))
        assert (
            client.get(f"{ACTION}/package_list", headers={"Authorization": WRONG}).status_code
            == 200
        )
    assert len(app.state.token_guard.limiter) == 20


def test_valid_tokens_and_bearer_values_are_not_counted(sqlite_catalog):
    app = sqlite_catalog.client.app
    client = TestClient(app, client=("203.0.113.68", 5000))
    for _ in range(30):
        for headers in (
            {"Authorization": sqlite_catalog.sysadmin_token},
            {"Authorization": "Bearer x"},  # anonymous in CKAN, not a token attempt
            {},
        ):
            assert client.get(f"{ACTION}/package_list", headers=headers).status_code == 200
    assert len(app.state.token_guard.limiter) == 0
