"""The analysis plan: what a team wants from every call, as data (`plan.yaml` beside this file, or the file
`VA_ANALYSIS_PLAN` names).

A plan declares the product and the audience the prompt speaks of, the BANT rubric text, and the fields to extract
(name, type, description, allowed values inline or `values_from` a vocabulary key, `crm_field`,
`evidence_from`). `load_plan` checks it and fails with one line naming the field and the value at fault. `Plan.version` is the first 16 hex of
the sha256 of its canonical content: texts whitespace-normalised, keys sorted, enum values resolved from the
vocabulary, so reformatting the YAML keeps the version and any change of meaning (or of the vocabulary's names)
makes a new one. `fields_schema` is the strict JSON schema of the answer's `fields` object; `fields_model` the
pydantic model that checks an answer against the plan.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Literal, Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, create_model

from pipeline.settings import env, load_pipeline_settings

DEFAULT_PLAN = Path(__file__).with_name("plan.yaml")
TYPES = ("boolean", "integer", "number", "string", "enum", "list")
ENUM_TYPES = ("enum", "list")
CRITERIA = ("budget", "authority", "need", "timeline")
TOP_KEYS = {"name", "call", "product", "audience", "vocabulary", "bant", "fields"}
FIELD_KEYS = {"name", "type", "description", "values", "values_from", "crm_field", "evidence_from"}
EVIDENCE_ROLES = ("caller", "agent")
NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
CRM_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,79}")
EVIDENCE = ("The exact words supporting the value, copied verbatim from one transcript line (a CALLER line unless "
            "the field says otherwise); empty when the value is null or an empty list")


class PlanError(ValueError):
    """A plan that cannot be used; the message is one line naming the file, the field and the value."""


@dataclass(frozen=True, eq=False)
class PlanField:
    name: str
    type: str
    description: str
    values: tuple[str, ...] | None = None
    values_from: str | None = None
    crm_field: str | None = None
    evidence_from: str = "caller"  # whose lines the evidence must be copied from (pipeline/llm/evidence.py)

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "description": self.description,
                "values": list(self.values) if self.values is not None else None, "values_from": self.values_from,
                "crm_field": self.crm_field, "evidence_from": self.evidence_from}


@dataclass(frozen=True, eq=False)  # hashed by identity: a loaded plan is a cache key for its prompt and schema
class Plan:
    name: str
    call: str
    product: str
    audience: str
    bant: tuple[tuple[str, str], ...]
    fields: tuple[PlanField, ...]
    path: str = ""

    def canonical(self) -> dict[str, Any]:
        return {"name": self.name, "call": self.call, "product": self.product, "audience": self.audience,
                "bant": dict(self.bant), "fields": [f.canonical() for f in self.fields]}

    @property
    def version(self) -> str:
        return _version(self)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


@lru_cache(maxsize=32)
def _version(plan: Plan) -> str:
    text = json.dumps(plan.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _text(where: str, key: str, value: Any, required: bool = True, default: str = "") -> str:
    if value is None and not required:
        return default
    if not isinstance(value, str) or not value.strip():
        raise PlanError(f"{where}: {key} must be a non-empty string (got {value!r})")
    return " ".join(value.split())


def _vocabulary_path(raw: dict, plan_path: Path, vocabulary: str | Path | None) -> Path:
    if vocabulary is not None:
        return Path(vocabulary)
    if raw.get("vocabulary"):
        path = Path(str(raw["vocabulary"])).expanduser()
        return path if path.is_absolute() else plan_path.parent / path
    from agent.settings import load_settings  # VA_VOCABULARY, else agent/vocabulary.yaml

    return load_settings().vocabulary_path


def _vocabulary_names(path: Path, where: str) -> dict[str, tuple[str, ...]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PlanError(f"{where}: cannot read vocabulary {path}: {type(exc).__name__}") from exc
    if not isinstance(raw, dict):
        raise PlanError(f"{where}: vocabulary {path} is not a mapping")
    return {k: tuple(str(n) for n in v) for k, v in raw.items() if isinstance(v, dict) and v}


def _values(where: str, spec: dict, vocabulary: Callable[[], dict[str, tuple[str, ...]]]) -> tuple[tuple, str | None]:
    """(allowed values, vocabulary key or None) of an enum or list field."""
    if ("values" in spec) == ("values_from" in spec):
        raise PlanError(f"{where}: type {spec['type']} needs exactly one of values or values_from")
    if "values_from" in spec:
        key, vocab = spec["values_from"], vocabulary()
        if not isinstance(key, str) or key not in vocab:
            raise PlanError(f"{where}: values_from {key!r} is not a list of names in the vocabulary "
                            f"(it has {', '.join(sorted(vocab)) or 'none'})")
        return vocab[key], key
    values = spec["values"]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise PlanError(f"{where}: values must be a non-empty list of strings (got {values!r})")
    if len(set(values)) != len(values):
        raise PlanError(f"{where}: values has duplicates: {sorted({v for v in values if values.count(v) > 1})}")
    return tuple(values), None


def parse_plan(raw: Any, source: str = "plan", plan_path: Path | None = None,
               vocabulary: str | Path | None = None) -> Plan:
    """A checked `Plan` from the YAML's content; `vocabulary` overrides where `values_from` looks."""
    if not isinstance(raw, dict):
        raise PlanError(f"{source}: expected a mapping at the top (got {type(raw).__name__})")
    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise PlanError(f"{source}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(TOP_KEYS))})")
    plan_path = plan_path or Path(source)
    bant = raw.get("bant")
    if not isinstance(bant, dict) or set(bant) != set(CRITERIA):
        got = sorted(bant) if isinstance(bant, dict) else bant
        raise PlanError(f"{source}: bant must map exactly {', '.join(CRITERIA)} to their rubric (got {got!r})")
    names: set[str] = set()
    loaded: list[dict] = []

    def vocab() -> dict[str, tuple[str, ...]]:  # read once, and only if a field names it
        if not loaded:
            loaded.append(_vocabulary_names(_vocabulary_path(raw, plan_path, vocabulary), source))
        return loaded[0]

    specs = raw.get("fields")
    if not isinstance(specs, list) or not specs:
        raise PlanError(f"{source}: fields must be a non-empty list (got {specs!r})")
    fields = []
    for index, spec in enumerate(specs):
        where = f"{source}: fields[{index}]"
        if not isinstance(spec, dict):
            raise PlanError(f"{where}: expected a mapping (got {spec!r})")
        name = spec.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise PlanError(f"{where}: name {name!r} must be lower_snake_case (a-z, 0-9, _), at most 64 characters")
        where = f"{source}: field {name}"
        if name in names:
            raise PlanError(f"{where}: duplicate name")
        unknown = set(spec) - FIELD_KEYS
        if unknown:
            raise PlanError(f"{where}: unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(FIELD_KEYS))})")
        kind = spec.get("type")
        if kind not in TYPES:
            raise PlanError(f"{where}: type {kind!r} is not one of {', '.join(TYPES)}")
        description = _text(where, "description", spec.get("description"))
        values, values_from = None, None
        if kind in ENUM_TYPES:
            values, values_from = _values(where, spec, vocab)
        elif "values" in spec or "values_from" in spec:
            raise PlanError(f"{where}: type {kind} takes no values or values_from (only enum and list do)")
        crm = spec.get("crm_field")
        if crm is not None and (not isinstance(crm, str) or not CRM_FIELD.fullmatch(crm)):
            raise PlanError(f"{where}: crm_field {crm!r} is not a field name (letters, digits, _ and .)")
        role = spec.get("evidence_from", "caller")
        if role not in EVIDENCE_ROLES:
            raise PlanError(f"{where}: evidence_from {role!r} is not one of {', '.join(EVIDENCE_ROLES)}")
        names.add(name)
        fields.append(PlanField(name, kind, description, values, values_from, crm, role))
    return Plan(name=_text(source, "name", raw.get("name"), False, "plan"),
                call=_text(source, "call", raw.get("call"), False, "call"),
                product=_text(source, "product", raw.get("product")),
                audience=_text(source, "audience", raw.get("audience"), False, "the team that follows up"),
                bant=tuple((c, _text(f"{source}: bant", c, bant[c])) for c in CRITERIA),
                fields=tuple(fields), path=str(plan_path))


@lru_cache(maxsize=16)
def _load(path: str, vocabulary: str | None, env_vocabulary: str, mtime: float) -> Plan:
    """Cached per file, its modification time and VA_VOCABULARY (a team's vocabulary set in the environment)."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanError(f"{path}: cannot read the analysis plan: {exc.strerror or type(exc).__name__}") from exc
    except yaml.YAMLError as exc:
        raise PlanError(f"{path}: not valid YAML: {' '.join(str(exc).split())[:200]}") from exc
    return parse_plan(raw, path, Path(path), vocabulary)


def load_plan(path: str | Path | None = None, vocabulary: str | Path | None = None) -> Plan:
    """The plan at `path` (default: `VA_ANALYSIS_PLAN`, else plan.yaml here), loaded once per file version."""
    path = Path(path or load_pipeline_settings().analysis_plan or DEFAULT_PLAN).expanduser().resolve()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _load(str(path), str(vocabulary) if vocabulary else None, env("VA_VOCABULARY"), mtime)


def current_plan() -> Plan:
    """The plan this process analyses with: `VA_ANALYSIS_PLAN`, else the default."""
    return load_plan()


# JSON schema of the answer's `fields` (OpenAI strict mode: every object closed, every property required;
# "not said" is a null value, via a type union or, for enums, anyOf with null).

def _value_schema(f: PlanField) -> dict[str, Any]:
    if f.type == "enum":
        return {"anyOf": [{"type": "string", "enum": list(f.values)}, {"type": "null"}]}
    if f.type == "list":
        return {"type": "array", "items": {"type": "string", "enum": list(f.values)}}
    return {"type": [f.type, "null"]}


def field_schema(f: PlanField) -> dict[str, Any]:
    return {"type": "object", "description": f.description,
            "properties": {"value": _value_schema(f), "evidence": {"type": "string", "description": EVIDENCE}},
            "required": ["value", "evidence"], "additionalProperties": False}


def fields_schema(plan: Plan) -> dict[str, Any]:
    return {"type": "object", "description": "One answer per field of the analysis plan",
            "properties": {f.name: field_schema(f) for f in plan.fields},
            "required": list(plan.field_names), "additionalProperties": False}


# The same constraints as a pydantic model, to check what comes back.

_SCALARS = {"boolean": StrictBool, "integer": StrictInt, "number": StrictFloat | StrictInt, "string": StrictStr}


def _answer_model(f: PlanField) -> type[BaseModel]:
    if f.type == "list":
        kind: Any = list[Literal[f.values]]  # type: ignore[valid-type]
    elif f.type == "enum":
        kind = Optional[Literal[f.values]]  # type: ignore[valid-type]
    else:
        kind = Optional[_SCALARS[f.type]]
    return create_model(f"Answer_{f.name}", __config__=ConfigDict(extra="forbid"),
                        value=(kind, ...), evidence=(StrictStr, ...))


@lru_cache(maxsize=32)
def fields_model(plan: Plan) -> type[BaseModel]:
    return create_model("PlanFields", __config__=ConfigDict(extra="forbid"),
                        **{f.name: (_answer_model(f), Field(...)) for f in plan.fields})


def check_fields(plan: Plan, fields: Any) -> dict[str, dict[str, Any]]:
    """The answer's `fields`, checked against the plan (raises pydantic.ValidationError), in plan order."""
    checked = fields_model(plan).model_validate(fields)
    return {name: getattr(checked, name).model_dump() for name in plan.field_names}
