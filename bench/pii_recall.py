"""Recall of `pipeline.privacy.pii` on the labelled set in `tests/pii_cases.py`, per kind, plus false positives on
sentences without PII. A span counts as recalled when the redactor covers all of it (any placeholder kind);
`kind ok` also requires the right placeholder. Run: `.venv/bin/python bench/pii_recall.py`."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from pii_cases import CASES, CLEAN  # noqa: E402
from pipeline.privacy.pii import find_pii, redact  # noqa: E402


def measure() -> dict:
    total, covered, kind_ok, misses = Counter(), Counter(), Counter(), []
    for text, labels in CASES:
        found = find_pii(text)
        for value, kind in labels:
            start = text.index(value)
            end = start + len(value)
            total[kind] += 1
            hits = [s for s in found if s.start <= start and s.end >= end]
            if hits:
                covered[kind] += 1
                kind_ok[kind] += hits[0].kind == kind
            else:
                misses.append((kind, value, redact(text)))
    false_positives = [(text, redact(text)) for text in CLEAN if redact(text) != text]
    return {"total": total, "covered": covered, "kind_ok": kind_ok, "misses": misses,
            "false_positives": false_positives}


def main() -> None:
    r = measure()
    spans = sum(r["total"].values())
    print(f"labelled spans: {spans} in {len(CASES)} sentences; {len(CLEAN)} sentences without PII")
    for kind in sorted(r["total"]):
        print(f"  {kind:8s} recall {r['covered'][kind]:3d}/{r['total'][kind]:<3d} "
              f"= {r['covered'][kind] / r['total'][kind]:.1%}  (right placeholder: {r['kind_ok'][kind]})")
    print(f"overall recall: {sum(r['covered'].values())}/{spans} = {sum(r['covered'].values()) / spans:.1%}")
    print(f"false positives on clean sentences: {len(r['false_positives'])}/{len(CLEAN)}")
    for kind, value, redacted in r["misses"]:
        print(f"  missed {kind}: {value!r} -> {redacted!r}")
    for text, redacted in r["false_positives"]:
        print(f"  false positive: {text!r} -> {redacted!r}")


if __name__ == "__main__":
    main()
