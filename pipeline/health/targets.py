"""The production plan's targets, in one place: the asset checks, the Slack breach message and the dashboard's
health panel all judge the health marts with `breaches`, so a target changed here (or in `VA_HEALTH_TARGETS`)
changes all three.

`VA_HEALTH_TARGETS` overrides some of them, as `name=value` pairs separated by commas, for example
`processing_p95_s=20,queue_depth=50`; an unknown name or a value that is not a non-negative number stops start-up
with a one-line error naming both.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from pipeline.settings import env


@dataclass(frozen=True)
class HealthTargets:
    queue_depth: float = 100  # undelivered messages: "near 0", with room for one sensor interval's calls
    oldest_unacked_s: float = 60
    processing_p95_s: float = 30  # call end -> scored, p95
    alert_p95_s: float = 60  # call end -> Slack alert of a hot call, p95
    sync_p95_s: float = 60  # call end -> Salesforce upsert, p95
    error_rate: float = 0.01  # (rejected messages + LLM failures + destination failures) / messages received
    cost_per_session_usd: float = 0.25  # voice + LLM + warehouse
    stale_after_h: float = 26  # the daily marts and the dashboard: the 02:00 run plus slack (freshness policies)


@dataclass(frozen=True)
class Breach:
    target: str
    value: float
    limit: float

    def __str__(self) -> str:
        return f"{self.target} = {self.value:g} (target <= {self.limit:g})"


def parse_targets(text: str) -> HealthTargets:
    """`name=value,...` over the defaults; raises ValueError naming the pair that is wrong."""
    known = {f.name for f in fields(HealthTargets)}
    changes: dict[str, float] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = (part.strip() for part in pair.partition("="))
        if name not in known:
            raise ValueError(f"VA_HEALTH_TARGETS: unknown target {name!r} (known: {', '.join(sorted(known))})")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if number < 0:
            raise ValueError(f"VA_HEALTH_TARGETS: {name} expects a number >= 0 (got {value!r})")
        changes[name] = number
    return replace(HealthTargets(), **changes)


def load_targets() -> HealthTargets:
    return parse_targets(env("VA_HEALTH_TARGETS"))


def breaches(figures: dict[str, float | None], targets: HealthTargets) -> list[Breach]:
    """The targets a set of figures (named like the targets) exceeds; a missing or null figure breaks nothing,
    because no calls means no latency to judge."""
    return [Breach(f.name, float(figures[f.name]), getattr(targets, f.name)) for f in fields(HealthTargets)
            if figures.get(f.name) is not None and float(figures[f.name]) > getattr(targets, f.name)]
