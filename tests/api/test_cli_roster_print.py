"""``rota roster generate`` prints leave so that it cannot be read as a shift."""

from __future__ import annotations

from sqlalchemy import select

from api.cli.common import console
from api.cli.roster import print_version
from scheduler.rosters.models import RosterVersion
from tests.api.conftest import World
from tests.api.requests_setup import SM
from tests.api.roster_views_data import store_roster


async def test_leave_prints_as_lv_and_every_label_is_explained(
    sessionmaker: SM, world: World
) -> None:
    data = await store_roster(sessionmaker, world)
    async with sessionmaker() as s:
        version = await s.scalar(
            select(RosterVersion).where(
                RosterVersion.roster_id == data.roster_id, RosterVersion.number == 1
            )
        )
        assert version is not None
        with console.capture() as captured:
            await print_version(s, version)
    text = captured.get()
    assert " lv " in text or "│lv" in text or "lv│" in text, text
    assert "lv = leave" in text
    assert "EA = early" in text
    assert "LA = late" in text
