"""README audit: `rota config` prints what the README's configuration table promises.

The README says `rota config` "prints the current values"; an unset optional setting printed
Python's ``None`` (not the log format in force), and a REDIS_URL's password was printed in clear.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.cli import main
from scheduler.settings import Settings, get_settings
from tests.api.conftest import World
from tests.api.helpers import assert_problem


@pytest.fixture(autouse=True)
def _fresh_settings() -> object:
    """`rota config` reads the process-wide settings; each test sets its own environment."""
    get_settings.cache_clear()
    yield None
    get_settings.cache_clear()


def _row(output: str, var: str) -> str:
    return next(line for line in output.splitlines() if var in line)


def test_config_shows_the_log_format_in_force_not_none() -> None:
    result = CliRunner().invoke(main, ["config"], env={"ROTA_ENV": "production"})
    assert result.exit_code == 0, result.output
    row = _row(result.output, "ROTA_LOG_FORMAT")
    assert "None" not in row
    assert "json" in row.split("│")[2]


def test_config_hides_the_redis_password() -> None:
    env = {"REDIS_URL": "redis://rota:s3cret-pw@cache.example:6379/0"}
    result = CliRunner().invoke(main, ["config"], env=env, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output
    assert "cache.example" in _row(result.output, "REDIS_URL")


def test_config_says_redis_is_unset_instead_of_none() -> None:
    result = CliRunner().invoke(main, ["config"], env={"REDIS_URL": ""}, terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "None" not in _row(result.output, "REDIS_URL")


def test_secret_key_is_documented_as_required_in_production_only() -> None:
    """ROTA_ENV=test signs tokens with the development key; the doc must not say otherwise."""
    doc = next(d for var, _default, d in Settings.documentation() if var == "ROTA_SECRET_KEY")
    assert "outside development" not in doc
    assert "production" in doc
    Settings.from_env({"ROTA_ENV": "test"}).require_signing_key()  # does not raise


async def test_manager_creates_a_login_for_their_employee_without_repeating_the_department(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    """README: the manager makes the demo colleague a login with role and employee_id only; the
    department is the employee's (and the manager's own). It was a bare 403 "here"."""
    h = world.headers("manager")
    r = await client.post(
        "/employees",
        json={
            "department_id": world.cs_id,
            "staff_no": "CS905",
            "name": "Chen Jing",
            "hire_date": "2024-04-02",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    employee_id = r.json()["id"]
    new = {"username": "cs905", "password": "a-long-password-2026", "role": "agent"}
    r = await client.post("/users", json={**new, "employee_id": employee_id}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["department_id"] == world.cs_id
    assert r.json()["employee_id"] == employee_id
    # Without an employee, the manager's own department is the one meant.
    r = await client.post("/users", json={**new, "username": "cs906"}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["department_id"] == world.cs_id


async def test_manager_refused_a_login_elsewhere_is_told_what_they_may_create(
    client: AsyncTestClient[Litestar], world: World
) -> None:
    new = {"username": "x9", "password": "a-long-password-2026", "role": "agent"}
    r = await client.post(
        "/users", json={**new, "department_id": world.sales_id}, headers=world.headers("manager")
    )
    assert_problem(r, 403)
    assert "own department" in r.json()["detail"]
