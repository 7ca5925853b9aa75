"""The docs name only files that exist: every repository path in README.md and docs/*.md resolves.

A token counts as a repository path when it starts with one of the project's top-level folders (`pipeline/...`,
`dbt/models/*/`) or ends in a source or config extension (`.py`, `.sql`, `.yml`, ...). Paths with a folder are
checked from the repository root, globs with `Path.glob`; a bare file name (`schema.py` in a table that already
named its folder) must name a file somewhere in the repository. Left out: URLs, paths outside the checkout
(`/tmp`, `~`, `..`), placeholders (`<project>`, `{day}`, `$VA_DATA_DIR`), the virtualenvs, and what commands create
at run time (`data/`, `dbt/target/`, `dbt/logs/`).
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

TOP_FOLDERS = ("agent/", "pipeline/", "assets/", "sensors/", "dbt/", "tests/", "bench/", "docs/", "scripts/", "infra/",
               "security/", "deploy/", ".ci/")
EXTENSIONS = (".py", ".sql", ".yml", ".yaml", ".md", ".json", ".jsonl", ".sh", ".toml")
# Made by commands at run time, or not part of the checkout.
RUNTIME = ("data/", "dbt/target", "dbt/logs", "dbt/dbt_packages", ".venv", "/", "~", "..", "$")
# Folders a bare file name is never looked up in: anywhere, and from the root.
NOT_SOURCES = {".git", "__pycache__", ".pytest_cache", "node_modules"}
NOT_SOURCES_AT = {"data", "dbt/target", "dbt/logs", "dbt/dbt_packages"}
PLACEHOLDER = re.compile(r"[<>{}$]")
BACKTICKED = re.compile(r"`([^`\n]+)`")
# Tokens: split on whitespace and on what surrounds a path in prose, tables and commands.
SEPARATORS = re.compile(r"[\s|()\[\],;=\"'`]+")
TRAILING = ".,;:!?)]}'\"`"
SUFFIXES = (re.compile(r"::.*$"), re.compile(r":\d+(?::\d+)?(?:-\d+)?$"))


def _candidate(token: str) -> str | None:
    """The repository path a token names, or None when it names none."""
    token = token.strip().lstrip("(['\"`")
    token = token.removeprefix("**").removesuffix("**")  # bold, while `bench/*.py` keeps its glob
    for suffix in SUFFIXES:
        token = suffix.sub("", token)
    token = token.rstrip(TRAILING)
    if not token or "://" in token or PLACEHOLDER.search(token) or re.fullmatch(r"\.\w+", token):
        return None
    if token.startswith("./"):
        token = token[2:]
    looks_like_path = ("/" in token and token.startswith(TOP_FOLDERS)) or token.endswith(EXTENSIONS)
    if not looks_like_path or token.startswith(RUNTIME):
        return None
    if token.endswith(EXTENSIONS) and not re.fullmatch(r"[\w./*-]+", token):
        return None  # `dbt.type_float()` and other prose
    return token


def extract_paths(text: str) -> set[str]:
    """Every repository path named in a Markdown text, in backticks or in plain prose."""
    tokens = [t for span in BACKTICKED.findall(text) for t in SEPARATORS.split(span)]
    tokens += SEPARATORS.split(BACKTICKED.sub(" ", text))
    return {path for path in map(_candidate, tokens) if path}


@lru_cache(maxsize=1)
def _file_names() -> frozenset[str]:
    names = set()
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder).relative_to(ROOT)
        dirs[:] = [d for d in dirs if d not in NOT_SOURCES and not d.startswith(".venv") and not d.endswith(".egg-info")
                   and (here / d).as_posix() not in NOT_SOURCES_AT]
        names.update(files)
    return frozenset(names)


def exists(path: str) -> bool:
    if "/" not in path.rstrip("/"):
        return (ROOT / path).exists() or path in _file_names()
    if any(c in path for c in "*?["):
        return any(ROOT.glob(path.rstrip("/")))
    return (ROOT / path).exists()


def missing_paths(text: str) -> list[str]:
    return sorted(path for path in extract_paths(text) if not exists(path))


def test_every_path_the_docs_name_exists():
    missing = {doc.relative_to(ROOT).as_posix(): missing_paths(doc.read_text(encoding="utf-8")) for doc in DOCS}
    assert {doc: paths for doc, paths in missing.items() if paths} == {}


def test_a_made_up_path_is_reported_and_the_ignored_kinds_are_not():
    text = """
The scorer lives in `pipeline/analysis/scoring.py:12` and its test in tests/test_scoring.py::test_hot, the models under
`dbt/models/*/` and the benches in `bench/*.py`. Removed: `pipeline/queries.py`, and see pipeline/made_up/thing.py.
A bare `no_such_module.py` is reported too, `schema.py` is found under pipeline/llm/.
Not paths of the checkout: `data/warehouse.duckdb`, `dbt/target/manifest.json`, https://example.com/docs/a.md,
`/tmp/bq-target`, `~/x.py`, `../shared/data/labelled_calls/dev.jsonl`, `<VA_DATA_DIR>/dashboard/index.html`,
`$VA_DATA_DIR/emulators/`, `.venv/bin/python`, p50/p95, and/or.
"""
    assert extract_paths(text) == {
        "pipeline/analysis/scoring.py", "tests/test_scoring.py", "dbt/models/*/", "bench/*.py", "pipeline/queries.py",
        "pipeline/made_up/thing.py", "no_such_module.py", "schema.py", "pipeline/llm/"}
    assert missing_paths(text) == ["no_such_module.py", "pipeline/made_up/thing.py", "pipeline/queries.py"]
