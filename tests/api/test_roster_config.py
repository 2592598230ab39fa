"""A department's roster settings through the API: partial changes merge, bad values are named.

A manager changes one number and expects every other setting to stay as it was, including the
weekend and holiday demand the next roster is built from; a bad value is refused with its path,
and nothing is stored; settings stored before the checks existed stop a solve with a message
naming them, never with the solver's internal error.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduler.rosters.config import DEFAULT_CONFIG, MAX_HEADCOUNT, MAX_WEIGHT
from scheduler.rosters.models import RosterConfig
from solver.problem import RuleSetting, RuleSettings
from tests.api.conftest import World
from tests.api.helpers import assert_problem, snapshot
from tests.api.roster_setup import MONTH, SETTINGS, generate, prepare_team, team_problem

Client = AsyncTestClient[Litestar]
SM = async_sessionmaker[AsyncSession]

#: The README's example, byte for byte: it changes the weekday demand and nothing else.
README_EXAMPLE = {
    "settings": {
        "demand": {
            "weekday": {
                "early": {"minimum": 3, "target": 4},
                "late": {"minimum": 2, "target": 3},
            }
        }
    }
}


@pytest.fixture
async def team(world: World, sessionmaker: SM) -> list[int]:
    """Early and late shift types and eleven active agents in the CS department."""
    return await prepare_team(sessionmaker, world)


def url(world: World) -> str:
    return f"/departments/{world.cs_id}/roster-config"


async def put(client: Client, world: World, settings: dict[str, Any], **extra: Any) -> Any:
    return await client.put(
        url(world), json={"settings": settings, **extra}, headers=world.headers("manager")
    )


async def current(client: Client, world: World) -> dict[str, Any]:
    r = await client.get(url(world), headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def demand_of_january(sm: SM, world: World) -> dict[tuple[dt.date, str], tuple[int, int]]:
    """(minimum, target) per date and shift of the problem team A's January 2027 solve gets."""
    problem = await team_problem(sm, world, world.team_a, dt.date(2027, 1, 1))
    return {(d.date, d.shift_id): (d.minimum, d.target) for d in problem.shift_demand}


async def test_readme_example_keeps_weekend_and_holiday_demand(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    r = await client.put(url(world), json=README_EXAMPLE, headers=world.headers("manager"))
    assert r.status_code == 200, r.text
    demand = r.json()["settings"]["demand"]
    assert demand["weekday"] == README_EXAMPLE["settings"]["demand"]["weekday"]
    assert demand["weekend"] == DEFAULT_CONFIG["demand"]["weekend"]
    assert demand["holiday"] == DEFAULT_CONFIG["demand"]["holiday"]
    assert (await current(client, world))["settings"]["demand"] == demand

    # The next solve asks for people every day: Saturday 30 and Sunday 31 January, and New
    # Year's Day, had none when the README's example wiped the weekend and holiday demand.
    wanted = await demand_of_january(sessionmaker, world)
    assert wanted[(dt.date(2027, 1, 30), "early")] == (2, 3)
    assert wanted[(dt.date(2027, 1, 31), "late")] == (2, 2)
    assert wanted[(dt.date(2027, 1, 1), "early")] == (2, 2)
    assert wanted[(dt.date(2027, 1, 5), "early")] == (3, 4)
    assert len(wanted) == 31 * 2


async def test_nested_partial_update_keeps_siblings(
    client: Client, world: World, team: list[int]
) -> None:
    r = await put(client, world, SETTINGS)
    assert r.status_code == 200, r.text
    before = r.json()
    r = await put(client, world, {"demand": {"weekday": {"early": {"minimum": 3}}}})
    assert r.status_code == 200, r.text
    after = r.json()
    assert after["version"] == before["version"] + 1

    expected = copy.deepcopy(before["settings"])
    expected["demand"]["weekday"]["early"]["minimum"] = 3  # its target 3 and the rest stay
    assert after["settings"] == expected
    assert (await current(client, world))["settings"] == expected

    r = await put(client, world, {"rules": {"fairness_late": {"weight": 7}}})
    assert r.status_code == 200, r.text
    r = await put(client, world, {"rules": {"fairness_late": {"enabled": False}}})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["rules"] == {"fairness_late": {"weight": 7, "enabled": False}}
    assert r.json()["settings"]["demand"] == expected["demand"]


async def test_null_resets_a_setting_or_removes_an_entry(
    client: Client, world: World, team: list[int]
) -> None:
    r = await put(
        client,
        world,
        {
            "demand": {
                "under_weight": 25,
                "by_weekday": {"mon": {"early": {"minimum": 4, "target": 5}}},
                "weekend": {"early": {"minimum": 3, "target": 3}},
            },
            "meeting": {"weekday": 3},
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["meeting"] == {**DEFAULT_CONFIG["meeting"], "weekday": 3}

    r = await put(
        client,
        world,
        {
            "demand": {
                "under_weight": None,  # has a default: back to it
                "by_weekday": {"mon": None},  # an entry without one: gone
                "weekend": {"late": None},  # one shift's row: gone, the early row stays
            },
            "meeting": None,
        },
    )
    assert r.status_code == 200, r.text
    settings = r.json()["settings"]
    assert settings["demand"]["under_weight"] == DEFAULT_CONFIG["demand"]["under_weight"]
    assert settings["demand"]["by_weekday"] == {}
    assert settings["demand"]["weekend"] == {"early": {"minimum": 3, "target": 3}}
    assert settings["meeting"] == DEFAULT_CONFIG["meeting"]

    r = await put(client, world, {"demand": {"weekend": None}})
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["demand"]["weekend"] == DEFAULT_CONFIG["demand"]["weekend"]


BAD_VALUES: list[tuple[dict[str, Any], str]] = [
    ({"demand": {"under_weight": 99999999999999999999999}}, "settings.demand.under_weight"),
    ({"demand": {"over_weight": MAX_WEIGHT + 1}}, "settings.demand.over_weight"),
    ({"demand": {"under_weight": -1}}, "settings.demand.under_weight"),
    ({"demand": {"under_weight": True}}, "settings.demand.under_weight"),
    ({"calendar": {"statutory_holidays": "no"}}, "settings.calendar.statutory_holidays"),
    ({"calendar": {"statutory_holidays": 0}}, "settings.calendar.statutory_holidays"),
    (
        {"demand": {"weekday": {"early": {"minimum": 3, "target": 2}}}},
        "settings.demand.weekday.early.target",
    ),
    (
        {"demand": {"weekday": {"early": {"minimum": 2.5}}}},
        "settings.demand.weekday.early.minimum",
    ),
    (
        {"demand": {"weekend": {"late": {"minimum": MAX_HEADCOUNT + 1}}}},
        "settings.demand.weekend.late.minimum",
    ),
    (
        {"demand": {"holiday": {"early": {"minimum": 1, "most": 2}}}},
        "settings.demand.holiday.early.most",
    ),
    ({"demand": {"by_weekday": {"monday": {}}}}, "settings.demand.by_weekday.monday"),
    ({"demand": {"weekday": []}}, "settings.demand.weekday"),
    ({"demand": {"peak": {}}}, "settings.demand.peak"),
    ({"intervals": [{"start": "15:00", "end": "25:00"}]}, "settings.intervals[0].end"),
    ({"intervals": [{"start": "3pm", "end": "17:30"}]}, "settings.intervals[0].start"),
    ({"intervals": [{"start": "17:30", "end": "15:00"}]}, "settings.intervals[0].end"),
    ({"intervals": [{"end": "17:30"}]}, "settings.intervals[0].start"),
    ({"intervals": {"start": "15:00"}}, "settings.intervals"),
    ({"meeting": {"weekday": 7}}, "settings.meeting.weekday"),
    ({"meeting": {"start": "15:00", "end": "14:00"}}, "settings.meeting.end"),
    ({"meeting": {"min_on_duty": "1"}}, "settings.meeting.min_on_duty"),
    ({"solver": {"time_limit_s": 0}}, "settings.solver.time_limit_s"),
    ({"solver": {"time_limit_s": "60"}}, "settings.solver.time_limit_s"),
    ({"rules": {"never_alone": {"weight": 10**12}}}, "settings.rules.never_alone.weight"),
    ({"rules": {"never_alone": {"hard": "yes"}}}, "settings.rules.never_alone.hard"),
    ({"rules": {"fairness_late": {"hard": True}}}, "settings.rules.fairness_late.hard"),
    ({"rules": {"rest_days_per_week": 8}}, "settings.rules.rest_days_per_week"),
    ({"rules": {"sometimes": {"enabled": True}}}, "settings.rules.sometimes"),
    (
        {"rules": {"forbidden_successions": [["late", "night"]]}},
        "settings.rules.forbidden_successions[0][1]",
    ),
    ({"colour": "red"}, "settings.colour"),
]


@pytest.mark.parametrize(("change", "field"), BAD_VALUES, ids=[f for _, f in BAD_VALUES])
async def test_bad_value_is_422_naming_its_path_and_nothing_is_stored(
    client: Client,
    world: World,
    sessionmaker: SM,
    team: list[int],
    change: dict[str, Any],
    field: str,
) -> None:
    assert (await put(client, world, SETTINGS)).status_code == 200
    before = await current(client, world)
    rows = await snapshot(sessionmaker)

    body = assert_problem(await put(client, world, change), 422)
    assert field in [e["field"] for e in body["errors"]], body
    assert field in body["detail"]

    assert await current(client, world) == before
    assert await snapshot(sessionmaker) == rows


async def test_every_bad_field_is_named_in_one_answer(
    client: Client, world: World, team: list[int]
) -> None:
    r = await put(
        client,
        world,
        {
            "demand": {"under_weight": 10**9, "weekend": {"early": {"target": -2}}},
            "calendar": {"statutory_holidays": "no"},
            "solver": {"time_limit_s": 10**6},
        },
    )
    body = assert_problem(r, 422)
    assert {e["field"] for e in body["errors"]} == {
        "settings.demand.under_weight",
        "settings.demand.weekend.early.target",
        "settings.calendar.statutory_holidays",
        "settings.solver.time_limit_s",
    }
    assert (await current(client, world))["version"] == 0


def full_settings() -> dict[str, Any]:
    """Every setting given, none at its default."""
    rules: dict[str, Any] = {}
    for name, value in vars(RuleSettings()).items():
        if isinstance(value, RuleSetting):
            rules[name] = {"enabled": True, "hard": value.hard, "weight": value.weight + 1}
    rules |= {
        "min_rest_minutes": 600,
        "forbidden_successions": [["late", "early"]],
        "rest_days_per_week": 1,
        "default_max_consecutive_days": 5,
    }
    return {
        "demand": {
            "weekday": {"early": {"minimum": 2, "target": 3}, "late": {"minimum": 2, "target": 2}},
            "weekend": {"early": {"minimum": 1, "target": 2}, "late": {"minimum": 2, "target": 4}},
            "holiday": {"early": {"minimum": 1, "target": 1}, "late": {"minimum": 2, "target": 3}},
            "by_weekday": {"fri": {"early": {"minimum": 3, "target": 3}}},
            "under_weight": 20,
            "over_weight": 0,
        },
        "intervals": [
            {"name": "handover", "start": "15:00", "end": "17:30", "minimum": 4, "target": 4},
            {"name": "evening", "start": "20:00", "end": "24:00", "minimum": 2},
        ],
        "rules": rules,
        "meeting": {"weekday": 3, "start": "09:00", "end": "10:00", "min_on_duty": 2},
        "calendar": {"statutory_holidays": False},
        "solver": {"time_limit_s": 30},
    }


async def test_full_settings_round_trip(client: Client, world: World, team: list[int]) -> None:
    document = full_settings()
    r = await put(client, world, document, version=0)
    assert r.status_code == 200, r.text
    assert r.json() == {"department_id": world.cs_id, "settings": document, "version": 1}
    got = await current(client, world)
    assert got["settings"] == document

    # What GET answers can be sent back as it is: saving the page unchanged changes nothing.
    r = await put(client, world, got["settings"], version=got["version"])
    assert r.status_code == 200, r.text
    assert r.json() == got

    # A page loaded before someone else's change is refused rather than merged into it.
    r = await put(client, world, {"solver": {"time_limit_s": 5}}, version=got["version"])
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2
    stale = await put(client, world, {"solver": {"time_limit_s": 90}}, version=got["version"])
    assert_problem(stale, 409)
    assert (await current(client, world))["settings"]["solver"] == {"time_limit_s": 5}


async def test_largest_accepted_values_still_give_a_roster(
    client: Client, world: World, team: list[int]
) -> None:
    """The caps keep the solver's objective within 64 bits: the job ends with a roster."""
    rules = {
        name: {"weight": MAX_WEIGHT}
        for name, value in vars(RuleSettings()).items()
        if isinstance(value, RuleSetting)
    }
    big = {"minimum": 2, "target": MAX_HEADCOUNT}
    r = await put(
        client,
        world,
        {
            **SETTINGS,
            "demand": {
                "weekday": {"early": big, "late": big},
                "weekend": {"early": big, "late": big},
                "holiday": {"early": big, "late": big},
                "under_weight": MAX_WEIGHT,
                "over_weight": MAX_WEIGHT,
            },
            "rules": rules,
        },
    )
    assert r.status_code == 200, r.text
    job = await generate(client, world)
    assert job["status"] == "succeeded", job["error"]


async def test_settings_stored_before_the_checks_stop_a_solve_naming_them(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    """What the old checks let through: asking for a roster names the settings to correct."""
    async with sessionmaker() as s:
        s.add(
            RosterConfig(
                department_id=world.cs_id,
                document={
                    **SETTINGS,
                    "demand": {**SETTINGS["demand"], "under_weight": 99999999999999999999999},
                    "calendar": {"statutory_holidays": "no"},
                },
            )
        )
        await s.commit()

    r = await client.post(
        "/roster-jobs",
        json={"team_id": world.team_a, "month": MONTH},
        headers=world.headers("manager"),
    )
    body = assert_problem(r, 422)
    assert {e["field"] for e in body["errors"]} == {
        "settings.demand.under_weight",
        "settings.calendar.statutory_holidays",
    }
    assert "stored roster settings" in body["detail"]

    # The manager still sees them, and corrects them with a partial change.
    shown = (await current(client, world))["settings"]
    assert shown["calendar"] == {"statutory_holidays": "no"}
    body = assert_problem(await put(client, world, {"demand": {"under_weight": None}}), 422)
    assert [e["field"] for e in body["errors"]] == ["settings.calendar.statutory_holidays"]
    r = await put(
        client,
        world,
        {"demand": {"under_weight": None}, "calendar": {"statutory_holidays": False}},
    )
    assert r.status_code == 200, r.text
    assert r.json()["settings"]["demand"]["under_weight"] == 10
    assert r.json()["settings"]["demand"]["weekday"] == SETTINGS["demand"]["weekday"]


async def test_settings_of_the_old_top_level_merge_are_read_with_todays_defaults(
    client: Client, world: World, sessionmaker: SM, team: list[int]
) -> None:
    """A stored demand without weekend and holiday rows, and the old "meeting": null."""
    weekday = README_EXAMPLE["settings"]["demand"]["weekday"]
    async with sessionmaker() as s:
        s.add(
            RosterConfig(
                department_id=world.cs_id,
                document={"demand": {"weekday": weekday}, "meeting": None},
            )
        )
        await s.commit()

    settings = (await current(client, world))["settings"]
    assert settings["demand"]["weekday"] == weekday
    assert settings["demand"]["weekend"] == DEFAULT_CONFIG["demand"]["weekend"]
    assert settings["demand"]["holiday"] == DEFAULT_CONFIG["demand"]["holiday"]
    # "meeting": null meant "no meeting slot": the same, said the way it is said today.
    assert settings["rules"] == {"meeting": {"enabled": False}}
    wanted = await demand_of_january(sessionmaker, world)
    assert wanted[(dt.date(2027, 1, 30), "early")] == (2, 3)
