"""Sign-in, tokens (expired, tampered, of a disabled user), brute-force limits, password change."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.security.jwt import Token
from litestar.testing import AsyncTestClient

from tests.api.conftest import PASSWORD, World
from tests.api.helpers import assert_problem

Client = AsyncTestClient[Litestar]
pytestmark = pytest.mark.shared_app
WRONG_LOGIN = "username or password is wrong, or the account is disabled"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def login(client: Client, username: str, password: str, address: str | None = None) -> Any:
    headers = {"X-Test-Client": address} if address else {}
    return await client.post(
        "/auth/login", json={"username": username, "password": password}, headers=headers
    )


async def test_login_issues_a_token_that_works(client: Client, world: World) -> None:
    r = await login(client, "agent", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    expires = dt.datetime.fromisoformat(body["expires_at"])
    ttl = dt.timedelta(minutes=world.settings.token_ttl_minutes)
    assert abs(expires - (dt.datetime.now(dt.UTC) + ttl)) < dt.timedelta(minutes=1)
    me = await client.get("/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "agent"
    assert me.json()["employee_id"] == world.employees["agent"].id
    assert me.json()["last_login_at"] is not None
    assert "password" not in me.text


@pytest.mark.parametrize(
    ("username", "password"),
    [("agent", "not-the-password"), ("nobody", PASSWORD), ("agent2", PASSWORD)],
    ids=["wrong-password", "unknown-user", "disabled-user"],
)
async def test_failed_login_says_the_same_401(
    client: Client, world: World, username: str, password: str
) -> None:
    r = await client.patch(
        f"/users/{world.users['agent2'].id}", json={"active": False}, headers=world.headers("admin")
    )
    assert r.status_code == 200, r.text
    r = await login(client, username, password)
    body = assert_problem(r, 401)
    assert body["detail"] == WRONG_LOGIN
    assert "access_token" not in r.text


async def test_login_body_is_validated(client: Client, world: World) -> None:
    r = await client.post("/auth/login", json={"username": "agent"})
    assert_problem(r, 400, field="password")


async def test_expired_token_is_refused(client: Client, world: World) -> None:
    jwt_auth = world.app.state.jwt_auth
    token = Token(
        sub=str(world.users["agent"].id),
        exp=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        iat=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9),
        iss=world.settings.jwt_issuer,
        aud=world.settings.jwt_audience,
    )
    valid = token.encode(jwt_auth.token_secret, jwt_auth.algorithm)
    assert (await client.get("/me", headers=bearer(valid))).status_code == 200
    token.exp = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    expired = token.encode(jwt_auth.token_secret, jwt_auth.algorithm)
    assert_problem(await client.get("/me", headers=bearer(expired)), 401)


def _token(world: World, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "sub": str(world.users["manager"].id),
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        "iss": world.settings.jwt_issuer,
        "aud": world.settings.jwt_audience,
    }
    secret = overrides.pop("secret", world.settings.secret_key)
    claims.update(overrides)
    return Token(**claims).encode(secret, "HS256")


def _flip_signature_char(token: str) -> str:
    head, payload, sig = token.split(".")
    # A middle character: the last one of a base64url signature partly encodes padding bits.
    i = len(sig) // 2
    sig = sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1 :]
    return f"{head}.{payload}.{sig}"


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda w: _flip_signature_char(_token(w)), id="flipped-signature"),
        pytest.param(lambda w: _token(w, secret="another-secret-" + "x" * 40), id="wrong-secret"),
        pytest.param(lambda w: _token(w, iss="someone-else"), id="wrong-issuer"),
        pytest.param(lambda w: _token(w, aud="another-api"), id="wrong-audience"),
        pytest.param(lambda w: _token(w, sub="not-a-number"), id="bad-subject"),
        pytest.param(lambda w: _token(w, sub="987654321"), id="unknown-subject"),
        pytest.param(lambda w: "not.a.jwt", id="garbage"),
    ],
)
async def test_tampered_token_is_refused(client: Client, world: World, make: Any) -> None:
    assert (await client.get("/me", headers=bearer(_token(world)))).status_code == 200
    r = await client.get("/me", headers=bearer(make(world)))
    assert_problem(r, 401)


async def test_missing_or_malformed_authorization_is_401(client: Client, world: World) -> None:
    assert_problem(await client.get("/me"), 401)
    assert_problem(await client.get("/me", headers={"Authorization": "Basic abc"}), 401)
    assert_problem(await client.get("/me", headers={"Authorization": "Bearer"}), 401)


async def test_too_many_failures_lock_the_account(client: Client, world: World) -> None:
    limit = world.settings.login_attempts_per_minute
    for i in range(limit):
        # From different addresses, so only the per-account limit can be what refuses.
        r = await login(client, "agent", "wrong-password", address=f"10.0.0.{i}")
        assert_problem(r, 401)
    r = await login(client, "agent", PASSWORD, address="10.0.1.1")
    body = assert_problem(r, 429)
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "account" in body["detail"]
    # Another account from the same address is not affected.
    r = await login(client, "manager", PASSWORD, address="10.0.1.1")
    assert r.status_code == 200, r.text


async def test_a_correct_password_clears_the_failure_count(client: Client, world: World) -> None:
    limit = world.settings.login_attempts_per_minute
    for i in range(limit - 1):
        assert (await login(client, "agent", "wrong", address=f"10.0.0.{i}")).status_code == 401
    assert (await login(client, "agent", PASSWORD, address="10.0.2.1")).status_code == 200
    for i in range(limit - 1):
        assert (await login(client, "agent", "wrong", address=f"10.0.3.{i}")).status_code == 401
    assert (await login(client, "agent", PASSWORD, address="10.0.4.1")).status_code == 200


async def test_too_many_attempts_from_one_address(client: Client, world: World) -> None:
    limit = world.settings.login_attempts_per_minute
    for i in range(limit):
        # Different accounts each time, so only the per-address limit can be what refuses.
        r = await login(client, f"user{i}", PASSWORD, address="192.0.2.7")
        assert_problem(r, 401)
    r = await login(client, "manager", PASSWORD, address="192.0.2.7")
    assert_problem(r, 429)
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # Another address still gets in.
    r = await login(client, "manager", PASSWORD, address="192.0.2.8")
    assert r.status_code == 200, r.text


async def test_an_office_behind_one_address_signs_in_at_shift_start(
    client: Client, world: World
) -> None:
    """Only failures count against an address: every agent of an office (one NAT address)
    signs in within the minute, more than the limit; guessing from it is still limited."""
    limit = world.settings.login_attempts_per_minute
    for _ in range(limit * 2):
        for who in ("agent", "agent2", "manager"):
            r = await login(client, who, PASSWORD, address="203.0.113.5")
            assert r.status_code == 200, r.text
    for i in range(limit):
        assert_problem(await login(client, f"ghost{i}", "guess", address="203.0.113.5"), 401)
    assert_problem(await login(client, "agent", PASSWORD, address="203.0.113.5"), 429)


async def test_disabled_users_token_stops_working(client: Client, world: World) -> None:
    headers = world.headers("agent")
    assert (await client.get("/me", headers=headers)).status_code == 200
    r = await client.patch(
        f"/users/{world.users['agent'].id}", json={"active": False}, headers=world.headers("admin")
    )
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False
    assert_problem(await client.get("/me", headers=headers), 401)
    assert_problem(await client.get("/employees", headers=headers), 401)
    r = await client.patch(
        f"/users/{world.users['agent'].id}", json={"active": True}, headers=world.headers("admin")
    )
    assert (await client.get("/me", headers=headers)).status_code == 200


async def test_admin_cannot_disable_themself(client: Client, world: World) -> None:
    r = await client.patch(
        f"/users/{world.users['admin'].id}", json={"active": False}, headers=world.headers("admin")
    )
    assert_problem(r, 422)
    assert (await client.get("/me", headers=world.headers("admin"))).status_code == 200


async def test_password_change(client: Client, world: World) -> None:
    headers = world.headers("agent")
    new = "a-brand-new-passphrase"
    r = await client.post(
        "/me/password",
        json={"current_password": "wrong-current", "new_password": new},
        headers=headers,
    )
    assert_problem(r, 422, field="current_password")
    r = await client.post(
        "/me/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=headers,
    )
    assert_problem(r, 422, field="new_password")
    assert (await login(client, "agent", PASSWORD, address="10.9.0.1")).status_code == 200

    r = await client.post(
        "/me/password", json={"current_password": PASSWORD, "new_password": new}, headers=headers
    )
    assert r.status_code == 204, r.text
    assert_problem(await login(client, "agent", PASSWORD, address="10.9.0.2"), 401)
    r = await login(client, "agent", new, address="10.9.0.3")
    assert r.status_code == 200, r.text


async def test_password_reset_signs_the_user_out_everywhere(client: Client, world: World) -> None:
    """An agent forgot their password: the manager sets a new one; old tokens stop working."""
    old_token = world.headers("agent")
    agent_id = world.users["agent"].id
    new = "a-manager-given-passphrase"
    weak = await client.post(
        f"/users/{agent_id}/password",
        json={"new_password": "short"},
        headers=world.headers("manager"),
    )
    assert_problem(weak, 422, field="new_password")
    assert (await client.get("/me", headers=old_token)).status_code == 200

    r = await client.post(
        f"/users/{agent_id}/password", json={"new_password": new}, headers=world.headers("manager")
    )
    assert r.status_code == 200, r.text
    assert r.json()["id"] == agent_id
    assert_problem(await client.get("/me", headers=old_token), 401)
    assert_problem(await login(client, "agent", PASSWORD, address="10.9.1.1"), 401)
    fresh = await login(client, "agent", new, address="10.9.1.2")
    assert fresh.status_code == 200, fresh.text
    headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    assert (await client.get("/me", headers=headers)).json()["username"] == "agent"


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("manager", "hr", 404),  # outside the manager's department: not even visible
        ("manager", "sales_agent", 404),
        ("manager", "manager", 403),  # one's own goes through /me/password
        ("agent", "agent2", 404),
        ("hr", "agent", 403),
    ],
)
async def test_who_may_reset_a_password(
    client: Client, world: World, who: str, target: str, status: int
) -> None:
    r = await client.post(
        f"/users/{world.users[target].id}/password",
        json={"new_password": "another-long-passphrase"},
        headers=world.headers(who),
    )
    assert_problem(r, status)
    assert (await login(client, target, PASSWORD, address="10.9.2.1")).status_code == 200
