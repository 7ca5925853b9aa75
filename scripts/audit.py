"""Known-vulnerability audit of every pin in requirements.lock (`make audit`).

Why two sources: pip-audit asks PyPI's JSON API, which this project's machines cannot reach (they reach only the
package indexes). There pip-audit marks every pin "Dependency not found on PyPI and could not be audited" and still
exits 0 printing "No known vulnerabilities found", so its answer is used only when it audited every pin. Otherwise
(or with --offline) the pins are matched against a pinned snapshot of the PyPA advisory database in OSV format
(security/README.md says where it lives and how it was cut). Exit 0: no finding outside security/audit-ignore.yaml;
1: such findings; 2: the audit could not run (bad lock line, bad advisory, bad allowlist entry, no snapshot).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT.parent / "shared" / "data" / "advisories" / "pypa"
PIP_AUDIT = "pip-audit==2.10.1"


class AuditError(Exception):
    """Input the audit cannot judge; the message names the file, the field and the value."""


@dataclass(frozen=True)
class Finding:
    package: str
    version: str
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]


def normalize(name: str) -> str:
    """PEP 503: `PyYAML`, `pyyaml` and `py_yaml` name one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path: Path) -> dict[str, str]:
    """Every `name==version` pin of a uv/pip-compile lock; anything else that is not a comment is an error."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or raw[:1].isspace() or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise AuditError(f"{path.name}:{number}: {line!r} is not a requirement ({error})") from None
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if len(requirement.specifier) != 1 or not exact:
            raise AuditError(f"{path.name}:{number}: {line!r} is not pinned with a single '=='")
        pins[normalize(requirement.name)] = exact[0]
    return pins


def direct_names(pyproject: Path) -> set[str]:
    """The project's own dependencies (base and extras), so a finding says whether we pin it or something else does."""
    project = tomllib.loads(pyproject.read_text())["project"]
    declared = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        declared.extend(extra)
    return {normalize(Requirement(spec).name) for spec in declared}


def load_advisories(db: Path) -> dict[str, list[dict]]:
    """OSV advisories of the snapshot by normalized package name; withdrawn ones are left out."""
    files = sorted([*db.glob("vulns/**/*.yaml"), *db.glob("vulns/**/*.json")])
    if not files:
        raise AuditError(f"no advisory snapshot at {db}: expected OSV files under vulns/ (see security/README.md)")
    index: dict[str, list[dict]] = {}
    for path in files:
        advisory = yaml.safe_load(path.read_text())  # JSON is YAML too
        if not isinstance(advisory, dict) or "id" not in advisory:
            raise AuditError(f"{path}: not an OSV advisory (no 'id')")
        if advisory.get("withdrawn"):
            continue
        for name in {normalize(a["package"]["name"]) for a in advisory.get("affected", [])
                     if a.get("package", {}).get("ecosystem") == "PyPI"}:
            index.setdefault(name, []).append(advisory)
    return index


def _version(advisory: dict, field: str, value: object) -> Version:
    try:
        return Version(str(value))
    except InvalidVersion:
        raise AuditError(f"{advisory['id']}: {field}={value!r} is not a PEP 440 version") from None


def _in_range(advisory: dict, version: Version, events: list[dict]) -> bool:
    """OSV's evaluation of one ECOSYSTEM range: walk the events in version order, `introduced` (first on a tie)
    opens, `fixed` closes at that version, `last_affected` closes just after it."""
    order = {"introduced": 0, "fixed": 1, "last_affected": 1}
    steps = sorted(((_version(advisory, f"ranges.events.{kind}", value), order[kind], kind)
                    for event in events for kind, value in event.items() if kind in order),
                   key=lambda step: step[:2])
    affected = False
    for bound, _, kind in steps:
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def _listed(version: Version, listed: list[object]) -> bool:
    """Explicit `versions` entries; one that is no PEP 440 version can only equal a pin spelt the same way."""
    for entry in listed:
        try:
            if Version(str(entry)) == version:
                return True
        except InvalidVersion:
            if str(entry) == str(version):
                return True
    return False


def affected_entries(advisory: dict, name: str, version: str) -> list[dict]:
    """The advisory's `affected[]` entries for this package that cover this version (GIT ranges are ignored:
    a pin names a release, not a commit)."""
    pin = Version(version)
    hits = []
    for entry in advisory.get("affected", []):
        if normalize(entry.get("package", {}).get("name", "")) != name:
            continue
        ranges = [r["events"] for r in entry.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
        if _listed(pin, entry.get("versions", [])) or any(_in_range(advisory, pin, events) for events in ranges):
            hits.append(entry)
    return hits


def match(pins: dict[str, str], index: dict[str, list[dict]]) -> list[Finding]:
    """Every (pin, advisory) pair where the advisory covers the pinned version."""
    findings = []
    for name, version in sorted(pins.items()):
        for advisory in index.get(name, []):
            entries = affected_entries(advisory, name, version)
            fixed = sorted({str(event["fixed"]) for entry in entries for r in entry.get("ranges", [])
                            if r.get("type") == "ECOSYSTEM" for event in r["events"] if "fixed" in event})
            if entries:
                findings.append(Finding(name, version, advisory["id"], tuple(advisory.get("aliases", [])),
                                        tuple(fixed)))
    return findings


def read_allowlist(path: Path) -> dict[tuple[str, str], dict]:
    """Accepted findings keyed by (package, advisory id or alias); every entry must say why and since when."""
    if not path.exists():
        return {}
    entries = (yaml.safe_load(path.read_text()) or {}).get("ignore") or []
    if not isinstance(entries, list):
        raise AuditError(f"{path.name}: 'ignore' must be a list, got {type(entries).__name__}")
    allowed = {}
    for position, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        for field in ("id", "package", "reason", "date"):
            if not str(entry.get(field) or "").strip():
                raise AuditError(f"{path.name}: ignore[{position}].{field} is missing or empty")
        if not isinstance(entry["date"], date):
            raise AuditError(f"{path.name}: ignore[{position}].date={entry['date']!r} is not a YYYY-MM-DD date")
        allowed[(normalize(entry["package"]), str(entry["id"]))] = entry
    return allowed


def is_allowed(finding: Finding, allowed: dict[tuple[str, str], dict]) -> bool:
    return any((finding.package, key) in allowed for key in (finding.advisory, *finding.aliases))


def parse_pip_audit(output: str) -> list[Finding] | str:
    """pip-audit's JSON report as findings, or why it cannot be trusted: a pin it skipped was not audited."""
    try:
        dependencies = json.loads(output)["dependencies"]
    except (ValueError, KeyError, TypeError):
        return "pip-audit printed no JSON report"
    skipped = [d for d in dependencies if "skip_reason" in d]
    if skipped:
        return f"pip-audit skipped {len(skipped)} of {len(dependencies)} pins ({skipped[0]['skip_reason']})"
    return [Finding(normalize(d["name"]), d["version"], v["id"], tuple(v.get("aliases", [])),
                    tuple(v.get("fix_versions", []))) for d in dependencies for v in d.get("vulns", [])]


def run_pip_audit(lock: Path, timeout: float) -> list[Finding] | str:
    """The real pip-audit, run by uv in its own environment, bounded by `timeout` seconds."""
    command = [str(Path(sys.executable).parent / "uv"), "tool", "run", "--from", PIP_AUDIT, "pip-audit",
               "-r", str(lock), "--no-deps", "--disable-pip", "-f", "json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"pip-audit did not run: {error}"
    return parse_pip_audit(done.stdout)


def snapshot_label(db: Path) -> str:
    source = db / "SOURCE.yaml"
    meta = yaml.safe_load(source.read_text()) if source.exists() else {}
    return f"{meta.get('source', db)} at {meta.get('commit', '?')[:12]} ({meta.get('date', 'date unknown')})"


def report(findings: list[Finding], allowed: dict, direct: set[str], pins: int, source: str) -> tuple[str, int]:
    """The findings table and its summary line; the second value is how many findings are not allowlisted."""
    header = ("package", "version", "direct", "advisory", "aliases", "fixed in", "status")
    rows = [(f.package, f.version, "yes" if f.package in direct else "no", f.advisory, ",".join(f.aliases) or "-",
             ",".join(f.fixed) or "none", "allowlisted" if is_allowed(f, allowed) else "FINDING") for f in findings]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    open_count = sum(row[-1] == "FINDING" for row in rows)
    packages = len({f.package for f in findings})
    lines.append(f"audit summary: {pins} pins, {len(findings)} findings in {packages} packages, "
                 f"{len(findings) - open_count} allowlisted, {open_count} not allowlisted; source: {source}")
    return "\n".join(lines if rows else lines[-1:]), open_count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements.lock")
    parser.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="the OSV advisory snapshot (a folder with vulns/)")
    parser.add_argument("--ignore", type=Path, default=ROOT / "security" / "audit-ignore.yaml")
    parser.add_argument("--offline", action="store_true", help="skip pip-audit; use the snapshot only")
    parser.add_argument("--online-timeout", type=float, default=180.0)
    args = parser.parse_args(argv)
    try:
        pins, allowed = read_lock(args.lock), read_allowlist(args.ignore)
        online = "--offline given" if args.offline else run_pip_audit(args.lock, args.online_timeout)
        if isinstance(online, list):
            findings, source = online, f"pip-audit ({PIP_AUDIT}, PyPI's vulnerability service)"
        else:
            print(f"audit: offline snapshot used: {online}", file=sys.stderr)
            findings, source = match(pins, load_advisories(args.db)), snapshot_label(args.db)
    except AuditError as error:
        print(f"audit: cannot audit: {error}", file=sys.stderr)
        return 2
    text, open_count = report(findings, allowed, direct_names(args.pyproject), len(pins), source)
    print(text)
    return 1 if open_count else 0


if __name__ == "__main__":
    sys.exit(main())
