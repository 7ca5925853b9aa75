"""Agent versions compared on outcomes: generated calls from two versions of one agent, built into the marts the
way production builds them. A real difference in booking rate is flagged; two versions that book alike are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_marts import build_marts
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse


def comparison(tmp_path: Path, versions: dict[str, float]) -> dict[str, dict]:
    path = tmp_path / "warehouse.duckdb"
    _, process = build_marts(path, tmp_path, sessions=600, days=3, seed=5, versions=versions)
    assert process.returncode == 0, process.stdout[-4000:]
    rows = DuckDBWarehouse(path).query("SELECT * FROM fct_agent_version_comparison").to_pylist()
    return {r["agent_version"]: r for r in rows}


@pytest.mark.parametrize("versions, expected", [
    ({"1.3.0": 0.05, "1.4.0": 0.5}, "better"),  # 1.4.0 books ten times as often
    ({"1.3.0": 0.2, "1.4.0": 0.2}, "no difference"),  # the same agent under two names
], ids=["known difference", "no difference"])
def test_the_comparison_flags_a_known_difference_and_only_that(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               versions: dict[str, float], expected: str):
    monkeypatch.setenv("VA_DATA_DIR", str(tmp_path / "data"))
    rows = comparison(tmp_path, versions)
    assert set(rows) == set(versions)
    assert {r["calls"] for r in rows.values()} == {300}, "the versions take turns: 300 calls each"
    baseline = rows["1.3.0"]["baseline_version"]  # a tie in calls: the lower version is the baseline
    assert baseline == "1.3.0" and rows["1.3.0"]["meeting_rate_vs_baseline"] == "baseline"
    candidate = rows["1.4.0"]
    assert candidate["meeting_rate_vs_baseline"] == expected
    for r in rows.values():
        assert r["meeting_rate_low"] <= r["meeting_rate"] <= r["meeting_rate_high"]
