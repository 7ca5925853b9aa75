"""The analysis plan: loading and checking a plan (one-line errors naming the field and value), its content
version, `values_from` resolved against a vocabulary, the strict JSON schema per type, and the answer check."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from pipeline.llm.plan import (DEFAULT_PLAN, PlanError, check_fields, current_plan, fields_schema, load_plan,
                               parse_plan)

DENTAL = Path(__file__).parent / "data" / "plans" / "dental.yaml"
VOCABULARY = Path(__file__).resolve().parents[1] / "agent" / "vocabulary.yaml"


def raw_default() -> dict:
    return yaml.safe_load(DEFAULT_PLAN.read_text())


def write(tmp_path: Path, raw: dict, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_the_default_plan_declares_the_sales_signals_with_vocabulary_values():
    plan = load_plan(DEFAULT_PLAN)
    assert plan.field_names == ("team_size", "integrations", "competitors", "urgency", "use_cases",
                                "decision_maker", "budget_mentioned", "meeting_booked")
    by_name = {f.name: f for f in plan.fields}
    vocab = yaml.safe_load(VOCABULARY.read_text())
    for key in ("integrations", "competitors", "use_cases"):
        assert by_name[key].values_from == key and by_name[key].values == tuple(vocab[key])
    assert by_name["urgency"].values == ("high", "normal") and by_name["team_size"].crm_field == "Team_Size__c"
    assert "Paperleaf" in plan.product and dict(plan.bant).keys() == {"budget", "authority", "need", "timeline"}
    assert len(plan.version) == 16 and int(plan.version, 16) >= 0


def test_the_environment_picks_another_teams_plan(monkeypatch):
    monkeypatch.delenv("VA_ANALYSIS_PLAN", raising=False)
    assert current_plan().name == "paperleaf_sales"
    monkeypatch.setenv("VA_ANALYSIS_PLAN", str(DENTAL))
    plan = current_plan()
    assert plan.name == "brightsmile_bookings"
    assert plan.field_names == ("new_patient", "treatment", "insurance_provider", "preferred_day")
    assert plan.version != load_plan(DEFAULT_PLAN).version


def test_version_follows_meaning_not_formatting(tmp_path):
    raw = raw_default()
    base = load_plan(write(tmp_path, raw, "a.yaml")).version
    assert base == load_plan(DEFAULT_PLAN).version  # the same content, written differently
    reordered = {k: raw[k] for k in reversed(list(raw))}
    reordered["fields"] = [{k: f[k] for k in reversed(list(f))} for f in raw["fields"]]
    reordered["product"] = "  " + raw["product"].replace(" ", "\n   ") + "\n"
    assert load_plan(write(tmp_path, reordered, "b.yaml")).version == base
    changed = raw_default()
    changed["fields"][0]["description"] += " Count contractors too."
    assert load_plan(write(tmp_path, changed, "c.yaml")).version != base
    swapped = raw_default()
    swapped["fields"][:2] = swapped["fields"][1::-1]  # field order is prompt and schema order
    assert load_plan(write(tmp_path, swapped, "d.yaml")).version != base


def test_a_vocabulary_change_is_a_new_version(tmp_path):
    vocab = yaml.safe_load(VOCABULARY.read_text())
    path = write(tmp_path, raw_default())
    base = load_plan(path, vocabulary=write(tmp_path, vocab, "v1.yaml"))
    vocab["integrations"]["notion"] = ["notion"]
    more = load_plan(path, vocabulary=write(tmp_path, vocab, "v2.yaml"))
    assert "notion" in {f.name: f for f in more.fields}["integrations"].values
    assert more.version != base.version


def test_a_plan_names_its_own_vocabulary(tmp_path):
    (tmp_path / "clinic_vocabulary.yaml").write_text(yaml.safe_dump(
        {"treatments": {"checkup": ["check ?up"], "braces": ["braces", "aligners"]}}, sort_keys=False))
    raw = yaml.safe_load(DENTAL.read_text())
    raw["vocabulary"] = "clinic_vocabulary.yaml"
    raw["fields"][1] = {"name": "treatment", "type": "enum", "values_from": "treatments", "description": "What."}
    plan = load_plan(write(tmp_path, raw))
    assert plan.fields[1].values == ("checkup", "braces")


def test_schema_per_type_is_strict():
    schema = fields_schema(load_plan(DENTAL))
    assert schema["additionalProperties"] is False and schema["required"] == list(schema["properties"])
    props = schema["properties"]
    for node in props.values():
        assert node["additionalProperties"] is False and node["required"] == ["value", "evidence"]
        assert node["properties"]["evidence"]["type"] == "string" and node["description"]
    assert props["new_patient"]["properties"]["value"] == {"type": ["boolean", "null"]}
    assert props["insurance_provider"]["properties"]["value"] == {"type": ["string", "null"]}
    assert props["treatment"]["properties"]["value"] == {"anyOf": [
        {"type": "string", "enum": ["checkup", "cleaning", "filling", "whitening", "braces", "emergency"]},
        {"type": "null"}]}
    sales = fields_schema(load_plan(DEFAULT_PLAN))["properties"]
    assert sales["team_size"]["properties"]["value"] == {"type": ["integer", "null"]}
    assert sales["integrations"]["properties"]["value"]["type"] == "array"
    assert "hubspot" in sales["integrations"]["properties"]["value"]["items"]["enum"]


def test_answers_are_checked_against_the_plan():
    plan = load_plan(DENTAL)
    good = {"new_patient": {"value": True, "evidence": "first time"}, "treatment": {"value": "braces", "evidence": "x"},
            "insurance_provider": {"value": None, "evidence": ""},
            "preferred_day": {"value": "friday", "evidence": "y"}}
    assert check_fields(plan, good)["treatment"] == {"value": "braces", "evidence": "x"}
    for bad in ({**good, "treatment": {"value": "surgery", "evidence": "x"}},  # not an allowed value
                {**good, "new_patient": {"value": "yes", "evidence": "x"}},  # wrong type
                {k: v for k, v in good.items() if k != "preferred_day"},  # a field missing
                {**good, "extra": {"value": 1, "evidence": ""}}):  # a field the plan does not have
        with pytest.raises(ValidationError):
            check_fields(plan, bad)


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["fields"][3].update(type="enumm"), "field urgency: type 'enumm' is not one of"),
    (lambda r: r["fields"][1].update(values_from="integration"), "field integrations: values_from 'integration'"),
    (lambda r: r["fields"][3].pop("values"), "field urgency: type enum needs exactly one of values or values_from"),
    (lambda r: r["fields"][0].update(values=["a"]), "field team_size: type integer takes no values"),
    (lambda r: r["fields"][2].update(name="Bad Name"), "fields[2]: name 'Bad Name'"),
    (lambda r: r["fields"].append(dict(r["fields"][0])), "field team_size: duplicate name"),
    (lambda r: r["fields"][0].update(description=""), "field team_size: description must be a non-empty string"),
    (lambda r: r["fields"][0].update(colour="red"), "field team_size: unknown key 'colour'"),
    (lambda r: r["fields"][0].update(crm_field="Team Size"), "field team_size: crm_field 'Team Size'"),
    (lambda r: r["bant"].pop("need"), "bant must map exactly budget, authority, need, timeline"),
    (lambda r: r.update(fields=[]), "fields must be a non-empty list"),
    (lambda r: r.update(producct="x"), "unknown key 'producct'"),
    (lambda r: r["fields"][3].update(values=["high", "high"]), "field urgency: values has duplicates"),
])
def test_a_bad_plan_fails_with_one_line_naming_field_and_value(tmp_path, edit, message):
    raw = raw_default()
    edit(raw)
    path = write(tmp_path, raw)
    with pytest.raises(PlanError) as error:
        load_plan(path)
    text = str(error.value)
    assert message in text and "\n" not in text and text.startswith(str(path.resolve()))


def test_unreadable_plans_fail_clearly(tmp_path):
    with pytest.raises(PlanError, match="cannot read the analysis plan"):
        load_plan(tmp_path / "missing.yaml")
    (tmp_path / "broken.yaml").write_text("fields: [\n")
    with pytest.raises(PlanError, match="not valid YAML"):
        load_plan(tmp_path / "broken.yaml")
    with pytest.raises(PlanError, match="expected a mapping"):
        parse_plan(["a"], "inline")
