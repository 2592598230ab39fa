"""``rota solve`` through click's CliRunner (no database)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from api.cli.solve import solve_command
from solver.io import dump_problem
from solver.testing import day, demand, people, problem

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sample-department.json"


def test_solve_sample_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "roster.json"
    result = CliRunner().invoke(
        solve_command, [str(SAMPLE), "--time-limit", "3", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Cost by rule" in result.output
    assert "gap" in result.output
    assert "early cover" in result.output
    data = json.loads(out.read_text())
    assert data["status"] in ("optimal", "feasible")
    assert len(data["roster"]) == 20


def test_solve_writes_csv(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(dump_problem(problem(3, people(2), shift_demand=demand(3, "early", 1))))
    out = tmp_path / "roster.csv"
    result = CliRunner().invoke(solve_command, [str(src), "--time-limit", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["staff_id", "name", *(day(i).isoformat() for i in range(3))]


def test_infeasible_prints_explanation(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text(dump_problem(problem(1, people(1), shift_demand=demand(1, "early", 2))))
    result = CliRunner().invoke(solve_command, [str(src), "--time-limit", "2"])
    assert result.exit_code == 1
    assert "No roster is possible" in result.output
    assert "1 Dec early shift needs 2" in result.output


def test_bad_problem_and_bad_out(tmp_path: Path) -> None:
    src = tmp_path / "p.json"
    src.write_text('{"horizon": {}, "shift_types": [], "staff": []}')
    result = CliRunner().invoke(solve_command, [str(src)])
    assert result.exit_code != 0
    assert "horizon" in result.output
    result = CliRunner().invoke(solve_command, [str(SAMPLE), "--out", str(tmp_path / "x.txt")])
    assert result.exit_code != 0
    assert ".json or .csv" in result.output
