"""Regressions from the ``rota solve`` audit: grid width, interval coverage, ``--out``, limits.

Every solve here is tiny (a few people, a few days, one worker, a short limit). Where the
exact figures matter the roster is pinned with locks, so the expected grid is known.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner, Result

from api.cli.solve import MIN_TIME_LIMIT, solve_command
from api.cli.solve_grid import shift_labels
from solver.io import dump_problem
from solver.problem import IntervalDemand, Lock, RosterProblem, ShiftType
from solver.testing import EARLY, LATE, day, demand, people, problem

NIGHT = ShiftType("night", "night shift", 22 * 60, 30 * 60)


def _run(tmp_path: Path, p: RosterProblem, *args: str, columns: int = 80) -> Result:
    """Run ``rota solve`` on a problem as a piped (non-TTY) command of a given width."""
    src = tmp_path / "problem.json"
    src.write_text(dump_problem(p), encoding="utf-8")
    argv = [str(src), "--time-limit", "2", "--workers", "1", *args]
    return CliRunner().invoke(solve_command, argv, env={"COLUMNS": str(columns)})


def _row(output: str, label: str) -> list[str]:
    """The cells of the grid row whose first column starts with ``label``."""
    for line in output.splitlines():
        if line.startswith(label):
            return line[len(label) :].split()
    raise AssertionError(f"no row {label!r} in:\n{output}")


def _locks(rows: dict[str, list[str | None]]) -> tuple[Lock, ...]:
    return tuple(
        Lock(staff, day(i), shift) for staff, cells in rows.items() for i, shift in enumerate(cells)
    )


def _month() -> RosterProblem:
    """December (31 days), three agents, early shifts only, a target of 10 that cannot be met."""
    return problem(31, people(3), shifts=(EARLY,), shift_demand=demand(31, "early", 1, 10))


def test_month_grid_keeps_every_column_when_piped(tmp_path: Path) -> None:
    for columns in (80, 200):
        result = _run(tmp_path, _month(), columns=columns)
        assert result.exit_code == 0, result.output
        assert "…" not in result.output
        header = next(line for line in result.output.splitlines() if line.startswith("Agent"))
        assert header.split()[-4:] == ["Late", "Wknd", "Hol", "Days"]
        assert "31" in result.output.splitlines()[result.output.splitlines().index(header) - 1]
        for i in range(3):
            cells = _row(result.output, f"Agent{i}")
            assert len(cells) == 31 + 4, cells  # every day, then Late Wknd Hol Days
            assert cells[-1] == str(sum(1 for c in cells[:31] if c == "EA"))
        cover = _row(result.output, "early shift cover")
        assert len(cover) == 31
        assert all(re.fullmatch(r"[0-3]/10", c) for c in cover), cover


def test_interval_demand_has_coverage_rows(tmp_path: Path) -> None:
    pinned: dict[str, list[str | None]] = {
        "a0": ["early", "early"],
        "a1": ["late", "late"],
        "a2": ["night", None],
    }
    p = problem(
        2,
        people(3),
        shifts=(EARLY, LATE, NIGHT),
        locks=_locks(pinned),
        interval_demand=(
            IntervalDemand(day(0), 15 * 60, 17 * 60 + 30, minimum=1, target=2),
            IntervalDemand(day(1), 15 * 60, 17 * 60 + 30, minimum=1, target=3),
            IntervalDemand(day(1), 0, 2 * 60, minimum=1, target=1),
        ),
    )
    result = _run(tmp_path, p)
    assert result.exit_code == 0, result.output
    # early and late both span the handover window
    assert _row(result.output, "15:00-17:30 cover") == ["2/2", "2/3"]
    # the night shift of 1 Dec covers 00:00-02:00 on 2 Dec; no demand row on 1 Dec
    assert _row(result.output, "00:00-02:00 cover") == ["0", "1/1"]


def test_labels_are_unique_and_explained(tmp_path: Path) -> None:
    assert shift_labels(["early", "late"]) == ["EA", "LA"]
    assert shift_labels(["early", "east", "late"]) == ["EAR", "EAS", "LA"]
    assert shift_labels(["early", "earlymid"]) == ["EARLY", "EARLYM"]
    for ids in (["a", "A"], ["lv", "late"], ["e", "early", "ea"]):
        labels = shift_labels(ids)
        assert len(set(labels)) == len(labels), labels
        assert "LV" not in labels
    east = ShiftType("east", "east desk", 9 * 60, 18 * 60)
    p = problem(1, people(2), shifts=(EARLY, east), locks=_locks({"a0": ["early"], "a1": ["east"]}))
    result = _run(tmp_path, p)
    assert result.exit_code == 0, result.output
    assert _row(result.output, "Agent0")[0] == "EAR"
    assert _row(result.output, "Agent1")[0] == "EAS"
    assert "EAR = early (early shift, 08:30-17:30)" in result.output
    assert "EAS = east (east desk, 09:00-18:00)" in result.output


def _infeasible() -> RosterProblem:
    return problem(1, people(1), shift_demand=demand(1, "early", 2))


def test_csv_out_without_roster_is_not_claimed(tmp_path: Path) -> None:
    out = tmp_path / "roster.csv"
    result = _run(tmp_path, _infeasible(), "--out", str(out))
    assert result.exit_code == 1
    assert not out.exists()
    assert "written" not in result.output.replace("not written", "")
    assert f"{out} not written" in result.output


def test_json_out_without_roster_holds_status_and_explanation(tmp_path: Path) -> None:
    out = tmp_path / "roster.json"
    result = _run(tmp_path, _infeasible(), "--out", str(out))
    assert result.exit_code == 1
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["status"] == "infeasible"
    assert data["roster"] is None
    assert "1 Dec early shift needs 2" in data["explanation"]["summary"] + str(
        data["explanation"]["facts"]
    )
    assert f"written {out} (status infeasible, no roster)" in result.output


def test_out_in_missing_directory_fails_before_solving(tmp_path: Path) -> None:
    out = tmp_path / "missing" / "x.json"
    result = _run(tmp_path, _month(), "--out", str(out))
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)  # a clean exit, not a traceback
    assert "Traceback" not in result.output
    assert "Status" not in result.output  # refused before the solve
    assert result.output.strip() == (
        f"Error: cannot write {out}: directory {out.parent} does not exist"
    )


def test_time_limit_below_minimum_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(tmp_path, _month(), "--time-limit", "0.05")
    assert result.exit_code == 2
    assert "Status" not in result.output
    assert f"at least {MIN_TIME_LIMIT:g} s" in result.output
    assert re.search(r"--time-limit.*0\.05", result.output)


def test_minimum_time_limit_is_accepted(tmp_path: Path) -> None:
    result = _run(tmp_path, _month(), "--time-limit", str(MIN_TIME_LIMIT))
    assert result.exit_code == 0, result.output
    assert "rejects a start roster" not in result.output
