from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.api.conftest import PASSWORD, World


async def test_login_then_me(client: AsyncTestClient[Litestar], world: World) -> None:
    r = await client.post("/auth/login", json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    me = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["role"] == "dept_manager"
    assert me.json()["department_id"] == world.cs_id
