"""scripts/audit.py: the OSV matcher on small advisories written here, the gate and its allowlist, pip-audit's
report when its service is out of reach, and one offline audit of the real requirements.lock."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("audit", REPO / "scripts" / "audit.py")
audit = sys.modules["audit"] = importlib.util.module_from_spec(_spec)  # dataclasses look the module up
_spec.loader.exec_module(audit)


def advisory(db: Path, ident: str, package: str, events: list[dict] | None = None, versions: list[str] | None = None,
             **extra: object) -> Path:
    """One OSV advisory in the PyPA layout (vulns/<package>/<id>.yaml)."""
    affected = {"package": {"name": package, "ecosystem": "PyPI"}, "versions": versions or []}
    if events is not None:
        affected["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
    path = db / "vulns" / package / f"{ident}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"id": ident, "aliases": [f"CVE-{ident}"], "affected": [affected], **extra}))
    return db


def flagged(db: Path, pins: dict[str, str]) -> set[tuple[str, str, str]]:
    return {(f.package, f.version, f.advisory) for f in audit.match(pins, audit.load_advisories(db))}


def test_version_inside_a_fixed_range_is_flagged_and_versions_outside_are_not(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-1", "demo", [{"introduced": "1.0"}, {"fixed": "1.5"}])
    assert flagged(db, {"demo": "1.2"}) == {("demo", "1.2", "A-1")}
    assert flagged(db, {"demo": "1.0"}) == {("demo", "1.0", "A-1")}
    assert flagged(db, {"demo": "1.5"}) == set()
    assert flagged(db, {"demo": "0.9"}) == set()
    assert flagged(db, {"demo": "1.5rc1"}) == {("demo", "1.5rc1", "A-1")}  # a pre-release sorts before its fix


def test_last_affected_is_inclusive(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-2", "demo", [{"introduced": "0"}, {"last_affected": "2.0"}])
    assert flagged(db, {"demo": "2.0"}) == {("demo", "2.0", "A-2")}
    assert flagged(db, {"demo": "2.0.1"}) == set()


def test_a_range_reopened_after_a_fix_flags_only_its_open_stretches(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-3", "demo", [{"fixed": "1.0"}, {"introduced": "2.0"}, {"introduced": "0"},
                                            {"fixed": "2.1"}])
    assert {v for v in ("0.5", "1.5", "2.0.5", "2.1") if flagged(db, {"demo": v})} == {"0.5", "2.0.5"}


def test_versions_list_is_matched_by_pep440_equality(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-4", "demo", versions=["3.1", "not-a-version"])
    assert flagged(db, {"demo": "3.1.0"}) == {("demo", "3.1.0", "A-4")}
    assert flagged(db, {"demo": "3.2"}) == set()


def test_names_are_normalized_on_both_sides(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-5", "Zope.Interface", [{"introduced": "0"}, {"fixed": "5"}])
    lock = tmp_path / "requirements.lock"
    lock.write_text("zope_interface==4.0\n    # via something\nOther-Pkg[extra]==1.0  # comment\n")
    pins = audit.read_lock(lock)
    assert pins == {"zope-interface": "4.0", "other-pkg": "1.0"}
    assert flagged(db, pins) == {("zope-interface", "4.0", "A-5")}


def test_withdrawn_advisories_and_git_ranges_flag_nothing(tmp_path: Path) -> None:
    advisory(tmp_path, "A-6", "demo", [{"introduced": "0"}], withdrawn="2026-01-01T00:00:00Z")
    path = advisory(tmp_path, "A-7", "demo") / "vulns" / "demo" / "A-7.yaml"
    data = yaml.safe_load(path.read_text())
    data["affected"][0]["ranges"] = [{"type": "GIT", "repo": "https://example.invalid/x", "events": [
        {"introduced": "0"}]}]
    path.write_text(yaml.safe_dump(data))
    assert flagged(tmp_path, {"demo": "1.0"}) == set()


def test_fixed_in_lists_the_fix_of_the_matching_package_only(tmp_path: Path) -> None:
    advisory(tmp_path, "A-8", "demo", [{"introduced": "0"}, {"fixed": "1.1"}, {"introduced": "2"}, {"fixed": "2.3"}])
    [finding] = audit.match({"demo": "2.1"}, audit.load_advisories(tmp_path))
    assert (finding.fixed, finding.aliases) == (("1.1", "2.3"), ("CVE-A-8",))


def test_an_event_that_is_no_version_is_an_error_naming_advisory_and_value(tmp_path: Path) -> None:
    db = advisory(tmp_path, "A-9", "demo", [{"introduced": "0"}, {"fixed": "soon"}])
    with pytest.raises(audit.AuditError, match=r"A-9: ranges\.events\.fixed='soon' is not a PEP 440 version"):
        flagged(db, {"demo": "1.0"})


def test_an_unpinned_lock_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("good==1.0\nloose>=2\n")
    with pytest.raises(audit.AuditError, match=r"requirements\.lock:2: 'loose>=2' is not pinned"):
        audit.read_lock(lock)


def gate(tmp_path: Path, ignore: str) -> int:
    """The CLI, offline, over a one-pin lock with one matching advisory and the given allowlist text."""
    advisory(tmp_path / "db", "PYSEC-1", "demo", [{"introduced": "0"}, {"fixed": "2.0"}])
    (tmp_path / "requirements.lock").write_text("demo==1.0\n")
    (tmp_path / "ignore.yaml").write_text(ignore)
    return audit.main(["--offline", "--db", str(tmp_path / "db"), "--lock", str(tmp_path / "requirements.lock"),
                       "--ignore", str(tmp_path / "ignore.yaml")])


def test_a_finding_not_allowlisted_fails_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert gate(tmp_path, "ignore: []\n") == 1
    out = capsys.readouterr().out
    assert re.search(r"^demo\s+1\.0\s+no\s+PYSEC-1\s+CVE-PYSEC-1\s+2\.0\s+FINDING$", out, re.M)
    assert "1 findings in 1 packages, 0 allowlisted, 1 not allowlisted" in out


def test_an_allowlisted_finding_by_alias_passes_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    entry = "ignore:\n- {id: CVE-PYSEC-1, package: Demo, reason: not reachable from our code, date: 2026-11-24}\n"
    assert gate(tmp_path, entry) == 0
    assert "1 allowlisted, 0 not allowlisted" in capsys.readouterr().out


def test_an_allowlist_entry_without_a_reason_cannot_be_used(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert gate(tmp_path, "ignore:\n- {id: PYSEC-1, package: demo, date: 2026-11-24}\n") == 2
    assert "ignore[0].reason is missing or empty" in capsys.readouterr().err


def test_a_missing_snapshot_cannot_pass_the_gate(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "requirements.lock").write_text("demo==1.0\n")
    args = ["--offline", "--db", str(tmp_path / "absent"), "--lock", str(tmp_path / "requirements.lock")]
    assert audit.main(args) == 2
    assert "no advisory snapshot at" in capsys.readouterr().err


def test_pip_audit_that_skipped_pins_is_not_trusted_and_a_complete_one_is() -> None:
    """The shape pip-audit 2.10.1 prints where PyPI's JSON API is out of reach (it then exits 0)."""
    unreachable = {"dependencies": [
        {"name": "agate", "skip_reason": "Dependency not found on PyPI and could not be audited: agate (1.9.1)"},
        {"name": "demo", "version": "1.0", "vulns": []}], "fixes": []}
    assert audit.parse_pip_audit(json.dumps(unreachable)).startswith("pip-audit skipped 1 of 2 pins")
    complete = {"dependencies": [{"name": "Demo_Pkg", "version": "1.0", "vulns": [
        {"id": "PYSEC-2", "fix_versions": ["1.1"], "aliases": ["CVE-2"], "description": "x"}]}], "fixes": []}
    assert audit.parse_pip_audit(json.dumps(complete)) == [
        audit.Finding("demo-pkg", "1.0", "PYSEC-2", ("CVE-2",), ("1.1",))]
    assert audit.parse_pip_audit("Traceback ...") == "pip-audit printed no JSON report"


@pytest.mark.skipif(not (audit.DEFAULT_DB / "vulns").is_dir(),
                    reason=f"the advisory snapshot is not at {audit.DEFAULT_DB} (security/README.md)")
def test_offline_audit_of_the_real_lock_completes_with_a_parsed_report(capsys: pytest.CaptureFixture) -> None:
    status = audit.main(["--offline"])
    out = capsys.readouterr().out
    summary = re.search(r"^audit summary: (\d+) pins, (\d+) findings in \d+ packages, (\d+) allowlisted, "
                        r"(\d+) not allowlisted; source: .+ at [0-9a-f]{12} \(\d{4}-\d{2}-\d{2}\)$", out, re.M)
    assert summary, out
    pins, findings, allowlisted, open_count = map(int, summary.groups())
    lock_pins = re.findall(r"^[A-Za-z0-9][^=\s]*==\S+", (REPO / "requirements.lock").read_text(), re.M)
    assert pins == len(lock_pins)
    assert len(re.findall(r"  (?:FINDING|allowlisted)$", out, re.M)) == findings == allowlisted + open_count
    assert status == (1 if open_count else 0)
