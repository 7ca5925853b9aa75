"""Throwaway feature probe of the local BigQuery emulator (and, briefly, the Pub/Sub emulator).

Run from the PROJECT venv with the emulators started by scripts/emulators.sh:

    eval "$(scripts/emulators.sh start)"
    .venv/bin/python scripts/probe_bigquery_emulator.py [--markdown out.md] [--json out.json]

Optional: VA_BIGQUERY_ENDPOINT_UNPATCHED=http://127.0.0.1:PORT points at a second bqemulator
started WITHOUT the upload patch (bq_emulator_launcher.py --no-upload-patch), to show that loads
need the patch (or the client-side Content-Type workaround).

Each case prints works / FAILS / WRONG (ran but gave a wrong answer) with the SQL and a short error.
The results went into docs/bigquery-emulator.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import traceback
import uuid
from typing import Any, Callable

import pandas as pd
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

PROJECT = os.environ.get("GOOGLE_CLOUD_PROJECT", "test-project")
RESULTS: list[dict[str, Any]] = []
SHORT_RETRY = bigquery.DEFAULT_RETRY.with_deadline(10)

D1 = dt.date(2026, 11, 20)
D2 = dt.date(2026, 11, 21)


def make_client(endpoint: str) -> bigquery.Client:
    return bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )


def short(exc: BaseException, n: int = 220) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ").replace("|", "/")
    return text if len(text) <= n else text[: n - 3] + "..."


def case(section: str, name: str, sql: str = "") -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Decorator: run fn now; fn returns (ok: bool, detail) or raises."""

    def deco(fn: Callable[[], Any]) -> Callable[[], Any]:
        t0 = time.perf_counter()
        try:
            out = fn()
            ok, detail = out if isinstance(out, tuple) else (True, out)
            status = "works" if ok else "WRONG"
        except Exception as exc:  # noqa: BLE001 - a probe records every failure
            status, detail = "FAILS", short(exc)
            if os.environ.get("PROBE_DEBUG"):
                traceback.print_exc()
        ms = (time.perf_counter() - t0) * 1000
        RESULTS.append(
            {"section": section, "feature": name, "sql": sql, "status": status, "detail": str(detail), "ms": round(ms)}
        )
        print(f"[{status:5}] {section} / {name}: {detail}", flush=True)
        return fn

    return deco


def rows(client: bigquery.Client, sql: str, params: list | None = None) -> list[dict]:
    cfg = bigquery.QueryJobConfig(query_parameters=params or [])
    return [dict(r.items()) for r in client.query(sql, job_config=cfg, retry=SHORT_RETRY).result(timeout=60)]


def expect(got: Any, want: Any) -> tuple[bool, str]:
    if got == want:
        return True, f"-> {got!r}"
    return False, f"got {got!r}, expected {want!r}"


def approx(got: Any, want: float, tol: float = 1e-6) -> tuple[bool, str]:
    ok = got is not None and abs(float(got) - want) <= tol
    return ok, (f"-> {got!r}" if ok else f"got {got!r}, expected {want!r}")


# --------------------------------------------------------------------------------------------------
SCHEMA = [
    bigquery.SchemaField("session_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("session_date", "DATE"),
    bigquery.SchemaField("started_at", "TIMESTAMP"),
    bigquery.SchemaField("ended_at", "TIMESTAMP"),
    bigquery.SchemaField("turns", "INT64"),
    bigquery.SchemaField("latency", "FLOAT64"),
    bigquery.SchemaField("escalated", "BOOL"),
    bigquery.SchemaField("tags", "STRING", mode="REPEATED"),
    bigquery.SchemaField("payload", "JSON"),
]
COLS = "session_id, session_date, started_at, ended_at, turns, latency, escalated, tags, payload"


def payload(i: int) -> dict:
    return {
        "a": {"b": f"v{i}"},
        "arr": [i, i + 1],
        "transcript": [
            {"role": "user", "text": f"hello {i}", "metrics": {"e2e_latency": 1.5}},
            {"role": "agent", "text": f"hi {i}", "metrics": {"e2e_latency": "0.5"}},
            {"role": "agent", "text": "bye", "metrics": {"e2e_latency": "n/a"}},
        ],
    }


def json_row(i: int, d: dt.date, payload_as: str = "str") -> dict:
    p = payload(i)
    return {
        "session_id": f"s{i}",
        "session_date": d.isoformat(),
        "started_at": f"{d.isoformat()}T10:00:{i % 60:02d}Z",
        "ended_at": f"{d.isoformat()}T10:05:{i % 60:02d}Z",
        "turns": i,
        "latency": i / 10,
        "escalated": i % 2 == 0,
        "tags": ["x", f"t{i}"],
        "payload": json.dumps(p) if payload_as == "str" else p,
    }


def new_table(client: bigquery.Client, ds: str, name: str) -> str:
    table = bigquery.Table(f"{PROJECT}.{ds}.{name}", schema=SCHEMA)
    table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field="session_date")
    table.clustering_fields = ["session_id"]
    client.create_table(table)
    return f"`{PROJECT}.{ds}.{name}`"


def count(client: bigquery.Client, fq: str, where: str = "TRUE") -> int:
    return rows(client, f"SELECT COUNT(*) AS n FROM {fq} WHERE {where}")[0]["n"]


# --------------------------------------------------------------------------------------------------
def probe_bigquery(endpoint: str, unpatched: str | None) -> None:
    client = make_client(endpoint)
    ds = f"probe_{uuid.uuid4().hex[:8]}"
    T = f"`{PROJECT}.{ds}.sessions`"
    S = f"`{PROJECT}.{ds}.staging`"

    @case("DDL", "create dataset", f"client.create_dataset('{PROJECT}.{ds}')")
    def _():
        client.create_dataset(bigquery.Dataset(f"{PROJECT}.{ds}"))
        client.create_dataset(bigquery.Dataset(f"{PROJECT}.{ds}"), exists_ok=True)
        return True, "ok (exists_ok=True also ok)"

    @case("DDL", "create table via API: TimePartitioning(field=session_date) + clustering_fields=[session_id]; "
          "STRING/DATE/TIMESTAMP/INT64/FLOAT64/BOOL/REPEATED STRING/JSON")
    def _():
        new_table(client, ds, "sessions")
        new_table(client, ds, "staging")
        return True, "ok"

    @case("DDL", "get_table returns partitioning / clustering / schema")
    def _():
        t = client.get_table(f"{PROJECT}.{ds}.sessions")
        tp = t.time_partitioning
        got = {
            "time_partitioning": (tp.type_, tp.field) if tp else None,
            "clustering_fields": t.clustering_fields,
            "payload": [(f.field_type, f.mode) for f in t.schema if f.name == "payload"],
            "tags": [(f.field_type, f.mode) for f in t.schema if f.name == "tags"],
        }
        ok = tp is not None and tp.field == "session_date" and t.clustering_fields == ["session_id"]
        return ok, json.dumps(got)

    ddl = (f"CREATE TABLE IF NOT EXISTS `{PROJECT}.{ds}.ddl_t` (session_id STRING NOT NULL, session_date DATE, "
           "tags ARRAY<STRING>, payload JSON) PARTITION BY session_date CLUSTER BY session_id")

    @case("DDL", "CREATE TABLE IF NOT EXISTS ... PARTITION BY session_date CLUSTER BY session_id (SQL DDL)", ddl)
    def _():
        client.query(ddl).result(timeout=60)
        client.query(ddl).result(timeout=60)
        t = client.get_table(f"{PROJECT}.{ds}.ddl_t")
        tp = t.time_partitioning
        return (tp is not None and tp.field == "session_date" and t.clustering_fields == ["session_id"],
                f"get_table: partitioning={tp.field if tp else None}, clustering={t.clustering_fields}")

    # ---------------- writes -------------------------------------------------------------------
    @case("write", "insert_rows_json (payload as JSON string)", "client.insert_rows_json(table, rows)")
    def _():
        errs = client.insert_rows_json(f"{PROJECT}.{ds}.sessions", [json_row(i, D1) for i in range(1, 4)])
        if errs:
            return False, str(errs)[:200]
        return expect(count(client, T), 3)

    @case("write", "insert_rows_json (payload as dict)", "client.insert_rows_json(table, rows)")
    def _():
        new_table(client, ds, "ins_dict")
        # A 5xx here is retried by the client for up to 10 min by default: cap it.
        errs = client.insert_rows_json(f"{PROJECT}.{ds}.ins_dict", [json_row(9, D1, "dict")],
                                       retry=bigquery.DEFAULT_RETRY.with_deadline(5), timeout=10)
        if errs:
            return False, str(errs)[:200]
        got = rows(client, f"SELECT JSON_VALUE(payload, '$.a.b') AS v FROM `{PROJECT}.{ds}.ins_dict`")
        return expect(got, [{"v": "v9"}])

    def load_json(c: bigquery.Client, table: str, payload_as: str = "dict") -> tuple[bool, str]:
        new_table(c, ds, table) if c is client else None
        cfg = bigquery.LoadJobConfig(schema=SCHEMA, write_disposition="WRITE_APPEND")
        c.load_table_from_json([json_row(i, D1, payload_as) for i in range(10, 13)],
                               f"{PROJECT}.{ds}.{table}", job_config=cfg).result(timeout=60)
        got = rows(c, f"SELECT COUNT(*) AS n, MAX(JSON_VALUE(payload, '$.a.b')) AS v, "
                      f"MAX(ARRAY_LENGTH(tags)) AS nt FROM `{PROJECT}.{ds}.{table}`")
        return expect(got, [{"n": 3, "v": "v12", "nt": 2}])

    def frame() -> pd.DataFrame:
        recs = [json_row(i, D2) for i in range(20, 23)]
        df = pd.DataFrame(recs)
        df["session_date"] = pd.to_datetime(df["session_date"]).dt.date
        df["started_at"] = pd.to_datetime(df["started_at"], utc=True)
        df["ended_at"] = pd.to_datetime(df["ended_at"], utc=True)
        return df

    def load_df(c: bigquery.Client, table: str) -> tuple[bool, str]:
        new_table(c, ds, table) if c is client else None
        cfg = bigquery.LoadJobConfig(schema=SCHEMA, write_disposition="WRITE_APPEND")
        c.load_table_from_dataframe(frame(), f"{PROJECT}.{ds}.{table}", job_config=cfg).result(timeout=60)
        got = rows(c, f"SELECT COUNT(*) AS n, MAX(JSON_VALUE(payload, '$.a.b')) AS v, "
                      f"MAX(ARRAY_LENGTH(tags)) AS nt, MIN(session_date) AS d FROM `{PROJECT}.{ds}.{table}`")
        return expect(got, [{"n": 3, "v": "v22", "nt": 2, "d": D2}])

    @case("write", "load_table_from_json, patched emulator (payload as dict)", "client.load_table_from_json(rows, table, job_config=LoadJobConfig(schema=...))")
    def _():
        return load_json(client, "load_json")

    @case("write", "load_table_from_json, patched emulator (payload as JSON string)")
    def _():
        ok, detail = load_json(client, "load_json_s", "str")
        t = rows(client, f"SELECT JSON_TYPE(payload) AS t FROM `{PROJECT}.{ds}.load_json_s` LIMIT 1")[0]["t"]
        return ok, f"{detail}; JSON_TYPE(payload)={t!r}"

    @case("write", "load_table_from_dataframe (pyarrow parquet; payload str, tags list), patched emulator",
          "client.load_table_from_dataframe(df, table, job_config=LoadJobConfig(schema=...))")
    def _():
        return load_df(client, "load_df")

    @case("write", "load_table_from_json WRITE_TRUNCATE")
    def _():
        cfg = bigquery.LoadJobConfig(schema=SCHEMA, write_disposition="WRITE_TRUNCATE")
        client.load_table_from_json([json_row(99, D1)], f"{PROJECT}.{ds}.load_json", job_config=cfg).result(timeout=60)
        t = client.get_table(f"{PROJECT}.{ds}.load_json")
        tp = t.time_partitioning
        n = count(client, f"`{PROJECT}.{ds}.load_json`")
        return (n == 1 and tp is not None and tp.field == "session_date",
                f"rows={n}, partitioning kept={tp.field if tp else None}, clustering={t.clustering_fields}")

    if unpatched:
        uc = make_client(unpatched)

        @case("write", "load_table_from_json, UNPATCHED emulator")
        def _():
            uc.create_dataset(bigquery.Dataset(f"{PROJECT}.{ds}"), exists_ok=True)
            return load_json(uc, "u_json")

        @case("write", "load_table_from_dataframe, UNPATCHED emulator")
        def _():
            return load_df(uc, "u_df")

        @case("write", "loads, UNPATCHED emulator + client-side `bigquery.client._GENERIC_CONTENT_TYPE = 'application/octet-stream'`")
        def _():
            import google.cloud.bigquery.client as bqc

            old = bqc._GENERIC_CONTENT_TYPE
            bqc._GENERIC_CONTENT_TYPE = "application/octet-stream"
            try:
                a = load_json(uc, "u_json2")
                b = load_df(uc, "u_df2")
            finally:
                bqc._GENERIC_CONTENT_TYPE = old
            return a[0] and b[0], f"json {a[1]}; df {b[1]}"

    # staging rows for D1 (replacement) and D2
    client.insert_rows_json(f"{PROJECT}.{ds}.staging",
                            [json_row(i, D1) for i in range(100, 105)] + [json_row(i, D2) for i in range(200, 202)])

    # ---------------- parameters ---------------------------------------------------------------
    sql = f"SELECT COUNT(*) AS n FROM {T} WHERE session_date = @d AND session_id = @sid AND turns >= @min_turns"

    @case("params", "@name scalar DATE / STRING / INT64", sql)
    def _():
        p = [bigquery.ScalarQueryParameter("d", "DATE", D1), bigquery.ScalarQueryParameter("sid", "STRING", "s2"),
             bigquery.ScalarQueryParameter("min_turns", "INT64", 1)]
        return expect(rows(client, sql, p), [{"n": 1}])

    sql_arr = f"SELECT session_id FROM {T} WHERE session_id IN UNNEST(@ids) ORDER BY session_id"

    @case("params", "ARRAY<STRING> param with IN UNNEST(@ids)", sql_arr)
    def _():
        p = [bigquery.ArrayQueryParameter("ids", "STRING", ["s1", "s3", "zz"])]
        return expect([r["session_id"] for r in rows(client, sql_arr, p)], ["s1", "s3"])

    sql_ts = f"SELECT COUNT(*) AS n FROM {T} WHERE started_at >= @since"

    @case("params", "TIMESTAMP param", sql_ts)
    def _():
        p = [bigquery.ScalarQueryParameter("since", "TIMESTAMP", dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc))]
        return expect(rows(client, sql_ts, p), [{"n": 3}])

    # ---------------- atomic partition replace -------------------------------------------------
    p_d1 = [bigquery.ScalarQueryParameter("d", "DATE", D1)]
    DL = f"DATE '{D1.isoformat()}'"

    def reset_d1() -> None:
        """Put the D1 partition back to s1..s3 (the insert_rows_json rows) before each replace case."""
        client.query(f"DELETE FROM {T} WHERE session_date = {DL}").result(timeout=60)
        client.insert_rows_json(f"{PROJECT}.{ds}.sessions", [json_row(i, D1) for i in range(1, 4)])

    def ids_d1() -> list[str]:
        got = rows(client, f"SELECT ARRAY_AGG(session_id ORDER BY session_id) AS ids FROM {T} WHERE session_date = {DL}")
        return got[0]["ids"] or []

    REPLACED = [f"s{i}" for i in range(100, 105)]
    ORIGINAL = ["s1", "s2", "s3"]

    def replace_case(name: str, sql: str, params: list | None, want: list[str], expect_error: bool = False) -> None:
        @case("replace", name, sql)
        def _():
            reset_d1()
            err = None
            try:
                client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params or []),
                             retry=SHORT_RETRY).result(timeout=60)
            except Exception as exc:  # noqa: BLE001
                err = exc
            got = ids_d1()
            if err is not None and not expect_error:
                raise err
            ok, detail = expect(got, want)
            if expect_error:
                detail = f"error raised={err is not None} ({short(err, 80) if err else ''}); partition after: {got}"
                ok = ok and err is not None
            return ok, detail

    txn = (f"BEGIN TRANSACTION;\nDELETE FROM {T} WHERE session_date = @d;\n"
           f"INSERT INTO {T} ({COLS}) SELECT {COLS} FROM {S} WHERE session_date = @d;\nCOMMIT TRANSACTION;")
    replace_case("script BEGIN TRANSACTION; DELETE ... = @d; INSERT ... SELECT ... = @d; COMMIT TRANSACTION; (query params)",
                 txn, p_d1, REPLACED)
    plain = txn.replace("BEGIN TRANSACTION;\n", "").replace("\nCOMMIT TRANSACTION;", "")
    replace_case("same script without transaction keywords (query params)", plain, p_d1, REPLACED)
    two = f"DELETE FROM {T} WHERE session_date = @d; SELECT 1;"
    replace_case("any 2-statement script with a query param", two, p_d1, [])
    decl = ("DECLARE d DATE DEFAULT @d;\n" + txn.replace("@d", "d"))
    replace_case("DECLARE d DATE DEFAULT @d; then the transaction script using d", decl, p_d1, REPLACED)
    txn_lit = txn.replace("@d", DL)
    replace_case("script BEGIN TRANSACTION; ... COMMIT TRANSACTION; with the date INLINED as DATE 'YYYY-MM-DD'",
                 txn_lit, None, REPLACED)
    replace_case("same, without transaction keywords, date inlined", plain.replace("@d", DL), None, REPLACED)
    decl_lit = f"DECLARE d DATE DEFAULT {DL};\n" + txn.replace("@d", "d")
    replace_case("DECLARE d DATE DEFAULT DATE '...'; + transaction script using d", decl_lit, None, REPLACED)
    bad = txn_lit.replace(f"FROM {S} WHERE", f"FROM {S} WHERE ERROR('boom') IS NULL AND")
    replace_case("rollback: transaction script (date inlined) whose INSERT fails", bad, None, ORIGINAL, expect_error=True)
    bad_plain = bad.replace("BEGIN TRANSACTION;\n", "").replace("\nCOMMIT TRANSACTION;", "")
    replace_case("no transaction: plain script whose INSERT fails (BigQuery too leaves the DELETE applied)",
                 bad_plain, None, [], expect_error=True)
    single = f"DELETE FROM {T} WHERE session_date = @d"
    replace_case("single statement DML with @d (DELETE ... WHERE session_date = @d)", single, p_d1, [])
    cols_s = ", ".join("s." + c.strip() for c in COLS.split(","))
    merge_rep = (f"MERGE {T} AS t\nUSING (SELECT {COLS} FROM {S} WHERE session_date = @d) AS s\nON FALSE\n"
                 f"WHEN NOT MATCHED BY TARGET THEN INSERT ({COLS}) VALUES ({cols_s})\n"
                 "WHEN NOT MATCHED BY SOURCE AND t.session_date = @d THEN DELETE")
    replace_case("MERGE ... ON FALSE: NOT MATCHED BY TARGET INSERT (cols) VALUES (...) + NOT MATCHED BY SOURCE AND "
                 "t.session_date = @d THEN DELETE (one statement, params OK)", merge_rep, p_d1, REPLACED)
    merge_row = merge_rep.replace(f"INSERT ({COLS}) VALUES ({cols_s})", "INSERT ROW")
    replace_case("same MERGE with INSERT ROW", merge_row, p_d1, REPLACED)

    ins = f"INSERT INTO {T} ({COLS}) SELECT {COLS} FROM {S} WHERE session_date = '{D2}'"

    @case("DML", "INSERT INTO t (cols) SELECT ... FROM other table", ins)
    def _():
        job = client.query(ins)
        job.result(timeout=60)
        return expect((count(client, T, f"session_date = '{D2}'"), job.num_dml_affected_rows), (2, 2))

    ctas = (f"CREATE OR REPLACE TABLE `{PROJECT}.{ds}.daily` PARTITION BY session_date CLUSTER BY session_id AS\n"
            f"SELECT session_date, session_id, COUNT(*) AS n FROM {T} GROUP BY session_date, session_id")

    @case("DML", "CREATE OR REPLACE TABLE ... PARTITION BY ... CLUSTER BY ... AS SELECT (twice)", ctas)
    def _():
        client.query(ctas).result(timeout=60)
        client.query(ctas).result(timeout=60)
        t = client.get_table(f"{PROJECT}.{ds}.daily")
        tp = t.time_partitioning
        n = count(client, f"`{PROJECT}.{ds}.daily`")
        return n > 0, f"rows={n}; partitioning={tp.field if tp else None}; clustering={t.clustering_fields}"

    ctas2 = f"CREATE OR REPLACE TABLE `{PROJECT}.{ds}.daily2` AS SELECT session_id, payload FROM {T}"

    @case("DML", "CREATE OR REPLACE TABLE ... AS SELECT keeps a JSON column typed JSON", ctas2)
    def _():
        client.query(ctas2).result(timeout=60)
        t = client.get_table(f"{PROJECT}.{ds}.daily2")
        typ = [f.field_type for f in t.schema if f.name == "payload"][0]
        v = rows(client, f"SELECT JSON_VALUE(payload, '$.a.b') AS v FROM `{PROJECT}.{ds}.daily2` WHERE payload IS NOT NULL LIMIT 1")
        return typ == "JSON", ("schema: " + ", ".join(f"{f.name} {f.field_type}" for f in t.schema)
                               + f"; JSON_VALUE on it still -> {v[0]['v']!r}")

    # ---------------- MERGE upsert ------------------------------------------------------------------
    client.query(txn_lit).result(timeout=60)  # D1 partition = s100..s104 again
    merge = (f"MERGE {T} AS t\nUSING (SELECT 's100' AS session_id, DATE '{D1}' AS session_date, 777 AS turns\n"
             f"       UNION ALL SELECT 'new1', DATE '{D1}', 5) AS s\nON t.session_id = s.session_id\n"
             "WHEN MATCHED AND s.turns > t.turns THEN UPDATE SET turns = s.turns\n"
             "WHEN NOT MATCHED THEN INSERT (session_id, session_date, turns) VALUES (s.session_id, s.session_date, s.turns)")

    @case("DML", "MERGE ... WHEN MATCHED AND ... THEN UPDATE / WHEN NOT MATCHED THEN INSERT", merge)
    def _():
        job = client.query(merge)
        job.result(timeout=60)
        got = rows(client, f"SELECT session_id, turns FROM {T} WHERE session_id IN ('s100','new1') ORDER BY session_id")
        return expect((got, job.num_dml_affected_rows),
                      ([{"session_id": "new1", "turns": 5}, {"session_id": "s100", "turns": 777}], 2))

    # ---------------- JSON -----------------------------------------------------------------------
    W = f"FROM {T} WHERE session_id = 's100'"
    json_cases = [
        ("JSON_VALUE(payload, '$.a.b')", f"SELECT JSON_VALUE(payload, '$.a.b') AS v {W}", "v100"),
        ("JSON_QUERY(payload, '$.arr')", f"SELECT JSON_QUERY(payload, '$.arr') AS v {W}", "[100,101]"),
        ("JSON_EXTRACT_SCALAR(payload, '$.a.b')", f"SELECT JSON_EXTRACT_SCALAR(payload, '$.a.b') AS v {W}", "v100"),
        ("ARRAY_LENGTH(JSON_QUERY_ARRAY(payload, '$.transcript'))",
         f"SELECT ARRAY_LENGTH(JSON_QUERY_ARRAY(payload, '$.transcript')) AS v {W}", 3),
        ("ARRAY_LENGTH(JSON_EXTRACT_ARRAY(payload, '$.transcript'))",
         f"SELECT ARRAY_LENGTH(JSON_EXTRACT_ARRAY(payload, '$.transcript')) AS v {W}", 3),
        ("LAX_FLOAT64(payload.transcript[0].metrics.e2e_latency) (field access)",
         f"SELECT LAX_FLOAT64(payload.transcript[0].metrics.e2e_latency) AS v {W}", 1.5),
        ("LAX_FLOAT64(JSON_QUERY(payload, '$.transcript[1].metrics.e2e_latency')) on \"0.5\"",
         f"SELECT LAX_FLOAT64(JSON_QUERY(payload, '$.transcript[1].metrics.e2e_latency')) AS v {W}", 0.5),
        ("FLOAT64(JSON_QUERY(payload, '$.transcript[0].metrics.e2e_latency'))",
         f"SELECT FLOAT64(JSON_QUERY(payload, '$.transcript[0].metrics.e2e_latency')) AS v {W}", 1.5),
        ("PARSE_JSON('{\"x\": {\"y\": 2}}') then JSON_VALUE",
         "SELECT JSON_VALUE(PARSE_JSON('{\"x\": {\"y\": 2}}'), '$.x.y') AS v", "2"),
        ("TO_JSON_STRING(payload.a)", f"SELECT TO_JSON_STRING(payload.a) AS v {W}", '{"b":"v100"}'),
        ("JSON_TYPE(JSON_QUERY(payload,'$.arr'))", f"SELECT JSON_TYPE(JSON_QUERY(payload,'$.arr')) AS v {W}", "array"),
    ]
    for name, sql, want in json_cases:
        @case("JSON", name, sql)
        def _(sql=sql, want=want):
            v = rows(client, sql)[0]["v"]
            if isinstance(want, float):
                return approx(v, want)
            if isinstance(v, (dict, list)):  # JSON-typed result decoded by the client
                return expect(json.dumps(v, separators=(",", ":")), want) if isinstance(want, str) else expect(v, want)
            return expect(v, want)

    unnest = (f"SELECT s.session_id, idx, JSON_VALUE(t, '$.role') AS role, JSON_VALUE(t, '$.text') AS text,\n"
              f"       SAFE_CAST(JSON_VALUE(t, '$.metrics.e2e_latency') AS FLOAT64) AS e2e\n"
              f"FROM {T} AS s, UNNEST(JSON_QUERY_ARRAY(s.payload, '$.transcript')) AS t WITH OFFSET AS idx\n"
              f"WHERE s.session_id = 's100' ORDER BY idx")
    want_unnest = [("s100", 0, "user", "hello 100", 1.5), ("s100", 1, "agent", "hi 100", 0.5), ("s100", 2, "agent", "bye", None)]

    @case("JSON", "UNNEST(JSON_QUERY_ARRAY(payload,'$.transcript')) AS t WITH OFFSET AS idx + JSON_VALUE(t,'$.text') + SAFE_CAST(... AS FLOAT64)", unnest)
    def _():
        got = [tuple(r.values()) for r in rows(client, unnest)]
        return expect(got, want_unnest)

    unnest_join = unnest.replace("FROM {T} AS s, UNNEST".format(T=T), f"FROM {T} AS s CROSS JOIN UNNEST")

    @case("JSON", "same with explicit CROSS JOIN UNNEST(...)", unnest_join)
    def _():
        return expect([tuple(r.values()) for r in rows(client, unnest_join)], want_unnest)

    unnest_lax = (f"SELECT idx, LAX_FLOAT64(t.metrics.e2e_latency) AS e2e, LAX_STRING(t.text) AS text\n"
                  f"FROM {T} AS s, UNNEST(JSON_QUERY_ARRAY(s.payload, '$.transcript')) AS t WITH OFFSET AS idx\n"
                  f"WHERE s.session_id = 's100' ORDER BY idx")

    @case("JSON", "LAX_FLOAT64(t.metrics.e2e_latency) / LAX_STRING(t.text) on the unnested element", unnest_lax)
    def _():
        return expect([tuple(r.values()) for r in rows(client, unnest_lax)],
                      [(0, 1.5, "hello 100"), (1, 0.5, "hi 100"), (2, None, "bye")])

    unnest_cnt = (f"SELECT s.session_id, COUNT(*) AS n FROM {T} AS s,\n"
                  f"  UNNEST(JSON_QUERY_ARRAY(s.payload, '$.transcript')) AS t WITH OFFSET AS idx\n"
                  f"WHERE s.session_date = @d GROUP BY s.session_id ORDER BY s.session_id")

    @case("JSON", "UNNEST over many rows + GROUP BY + @d param", unnest_cnt)
    def _():
        got = rows(client, unnest_cnt, p_d1)
        return expect([r["n"] for r in got], [3] * 5)

    @case("JSON", "query result type of a JSON column (client.query ... payload)")
    def _():
        v = rows(client, f"SELECT payload, JSON_QUERY(payload, '$.a') AS q {W}")[0]
        return True, f"payload -> {type(v['payload']).__name__}; JSON_QUERY -> {type(v['q']).__name__}"

    # ---------------- aggregates -------------------------------------------------------------------
    agg_cases = [
        ("APPROX_QUANTILES(x, 100)[OFFSET(95)]",
         "SELECT APPROX_QUANTILES(x, 100)[OFFSET(95)] AS v FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x", (94, 97)),
        ("PERCENTILE_CONT(x, 0.95) OVER (PARTITION BY g)",
         "SELECT DISTINCT g, PERCENTILE_CONT(x, 0.95) OVER (PARTITION BY g) AS v\n"
         "FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x, UNNEST(['a']) AS g", 95.05),
        ("PERCENTILE_CONT(x, 0.95) OVER () (no PARTITION BY)",
         "SELECT DISTINCT PERCENTILE_CONT(x, 0.95) OVER () AS v FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x", 95.05),
        ("PERCENTILE_CONT(x, 0.95) as a plain aggregate (accepted here, but INVALID on real BigQuery)",
         "SELECT PERCENTILE_CONT(x, 0.95) AS v FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x", 95.05),
        ("PERCENTILE_DISC(x, 0.95) OVER ()",
         "SELECT DISTINCT PERCENTILE_DISC(x, 0.95) OVER () AS v FROM UNNEST(GENERATE_ARRAY(1, 100)) AS x", 95),
        ("COUNTIF(cond)", f"SELECT COUNTIF(escalated) AS v FROM {T} WHERE session_date = '{D2}'", 1),
        ("ARRAY_AGG(x ORDER BY y LIMIT 1)[OFFSET(0)]",
         f"SELECT ARRAY_AGG(session_id ORDER BY turns DESC LIMIT 1)[OFFSET(0)] AS v FROM {T}", "s100"),
        ("ARRAY_AGG(x ORDER BY y DESC LIMIT 1)[SAFE_OFFSET(0)]",
         f"SELECT ARRAY_AGG(session_id ORDER BY turns DESC LIMIT 1)[SAFE_OFFSET(0)] AS v FROM {T}", "s100"),
        ("ARRAY_AGG(x IGNORE NULLS ORDER BY y DESC)[OFFSET(0)] (no LIMIT)",
         f"SELECT ARRAY_AGG(session_id IGNORE NULLS ORDER BY turns DESC)[OFFSET(0)] AS v FROM {T}", "s100"),
        ("ARRAY_AGG(STRUCT(a, b) ORDER BY y DESC LIMIT 1)[OFFSET(0)].a",
         f"SELECT ARRAY_AGG(STRUCT(session_id AS sid, turns) ORDER BY turns DESC LIMIT 1)[OFFSET(0)].sid AS v FROM {T}", "s100"),
        ("MAX_BY(x, y)", f"SELECT MAX_BY(session_id, turns) AS v FROM {T}", "s100"),
        ("ARRAY_AGG(x IGNORE NULLS ORDER BY y DESC LIMIT 1)[SAFE_OFFSET(0)]",
         f"SELECT ARRAY_AGG(session_id IGNORE NULLS ORDER BY turns DESC LIMIT 1)[SAFE_OFFSET(0)] AS v FROM {T}", "s100"),
        ("QUALIFY ROW_NUMBER() OVER (PARTITION BY ... ORDER BY ...) = 1",
         f"SELECT session_id AS v FROM {T} WHERE TRUE\nQUALIFY ROW_NUMBER() OVER (PARTITION BY session_date ORDER BY turns DESC) = 1\n"
         "ORDER BY session_id", None),
        ("TIMESTAMP_DIFF(b, a, SECOND)",
         f"SELECT TIMESTAMP_DIFF(ended_at, started_at, SECOND) AS v FROM {T} WHERE session_id = 's100'", 300),
        ("TIMESTAMP_DIFF(b, a, MILLISECOND)",
         "SELECT TIMESTAMP_DIFF(TIMESTAMP '2026-01-01 00:00:01.5+00', TIMESTAMP '2026-01-01 00:00:00+00', MILLISECOND) AS v", 1500),
        ("DATE(ts)", f"SELECT DATE(started_at) AS v FROM {T} WHERE session_id = 's100'", D1),
        ("DATE(ts, 'Europe/Paris')", "SELECT DATE(TIMESTAMP '2026-11-20 23:30:00+00', 'Europe/Paris') AS v", D2),
        ("LOGICAL_OR(cond)", f"SELECT LOGICAL_OR(escalated) AS v FROM {T} WHERE session_date = '{D2}'", True),
        ("STRING_AGG(x, ',' ORDER BY x)",
         f"SELECT STRING_AGG(session_id, ',' ORDER BY session_id) AS v FROM {T} WHERE session_date = '{D2}'", "s200,s201"),
        ("SAFE_DIVIDE / IF / COALESCE",
         "SELECT SAFE_DIVIDE(1, 0) IS NULL AND IF(TRUE, 1, 2) = 1 AND COALESCE(NULL, 3) = 3 AS v", True),
        ("GENERATE_DATE_ARRAY + DATE_SUB(CURRENT_DATE(), INTERVAL 7 DAY)",
         "SELECT ARRAY_LENGTH(GENERATE_DATE_ARRAY(DATE_SUB(CURRENT_DATE(), INTERVAL 6 DAY), CURRENT_DATE())) AS v", 7),
        ("TIMESTAMP_TRUNC(ts, HOUR)",
         f"SELECT TIMESTAMP_TRUNC(started_at, HOUR) AS v FROM {T} WHERE session_id = 's100'",
         dt.datetime(2026, 11, 20, 10, tzinfo=dt.timezone.utc)),
    ]
    for name, sql, want in agg_cases:
        @case("aggregates", name, sql)
        def _(sql=sql, want=want, name=name):
            got = rows(client, sql)
            if name.startswith("QUALIFY"):
                return expect([r["v"] for r in got], ["s100", "s201"])
            v = got[0]["v"]
            if isinstance(want, tuple):
                return (want[0] <= v <= want[1], f"-> {v!r} (exact p95 of 1..100 is 95)")
            if isinstance(want, float):
                return approx(v, want, 1e-6)
            return expect(v, want)

    # ---------------- reads -----------------------------------------------------------------------
    rd = f"SELECT {COLS} FROM {T} WHERE payload IS NOT NULL ORDER BY session_id LIMIT 3"

    @case("read", "to_dataframe(create_bqstorage_client=False)", rd)
    def _():
        df = client.query(rd).result(timeout=60).to_dataframe(create_bqstorage_client=False)
        return len(df) == 3, "dtypes: " + ", ".join(f"{c}={t}" for c, t in df.dtypes.astype(str).items()) + \
            f"; payload[0] is {type(df['payload'].iloc[0]).__name__}; tags[0] is {type(df['tags'].iloc[0]).__name__}"

    @case("read", "to_arrow(create_bqstorage_client=False)", rd)
    def _():
        tbl = client.query(rd).result(timeout=60).to_arrow(create_bqstorage_client=False)
        return tbl.num_rows == 3, "schema: " + ", ".join(f"{f.name}={f.type}" for f in tbl.schema)

    @case("read", "client.list_rows(table).to_dataframe(create_bqstorage_client=False)")
    def _():
        df = client.list_rows(f"{PROJECT}.{ds}.sessions").to_dataframe(create_bqstorage_client=False)
        return True, f"{len(df)} rows"

    @case("read", "query dry_run (QueryJobConfig(dry_run=True))")
    def _():
        job = client.query(f"SELECT * FROM {T}", job_config=bigquery.QueryJobConfig(dry_run=True, use_query_cache=False))
        return True, f"accepted; total_bytes_processed={job.total_bytes_processed}"

    @case("DDL", "delete_dataset(delete_contents=True)")
    def _():
        client.delete_dataset(f"{PROJECT}.{ds}", delete_contents=True, not_found_ok=True)
        return True, "ok"


# --------------------------------------------------------------------------------------------------
def probe_pubsub(n: int = 1000) -> None:
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    subscriber = pubsub_v1.SubscriberClient()
    suffix = uuid.uuid4().hex[:8]
    topic = publisher.topic_path(PROJECT, f"probe-topic-{suffix}")
    sub = subscriber.subscription_path(PROJECT, f"probe-sub-{suffix}")

    @case("pubsub", "create topic + subscription")
    def _():
        publisher.create_topic(request={"name": topic})
        subscriber.create_subscription(request={"name": sub, "topic": topic, "ack_deadline_seconds": 60})
        return True, "ok"

    body = json.dumps({"x": "y" * 900}).encode()
    stats: dict[str, Any] = {}

    @case("pubsub", f"publish {n} messages (~1 KB) with attributes")
    def _():
        t0 = time.perf_counter()
        futs = [publisher.publish(topic, body, session_id=f"s{i}", schema_version="1") for i in range(n)]
        for f in futs:
            f.result(timeout=30)
        el = time.perf_counter() - t0
        return True, f"{el:.2f} s ({n / el:.0f} msg/s)"

    @case("pubsub", "sync pull max_messages=500 + acknowledge, in a loop")
    def _():
        t0 = time.perf_counter()
        got, sizes, attrs_ok = 0, [], True
        deadline = time.monotonic() + 60
        while got < n and time.monotonic() < deadline:
            resp = subscriber.pull(request={"subscription": sub, "max_messages": 500}, timeout=10)
            if not resp.received_messages:
                continue
            sizes.append(len(resp.received_messages))
            attrs_ok &= all("session_id" in m.message.attributes for m in resp.received_messages)
            subscriber.acknowledge(request={"subscription": sub, "ack_ids": [m.ack_id for m in resp.received_messages]})
            got += len(resp.received_messages)
        el = time.perf_counter() - t0
        stats.update(pulls=len(sizes), max_batch=max(sizes or [0]))
        return (got == n and attrs_ok,
                f"{got} msgs in {el:.2f} s ({got / el:.0f} msg/s); {len(sizes)} pulls; max per pull={max(sizes or [0])}; "
                f"batches={sizes[:12]}{'...' if len(sizes) > 12 else ''}; attributes ok={attrs_ok}")

    @case("pubsub", "pull on empty subscription returns (no hang) with timeout")
    def _():
        t0 = time.perf_counter()
        resp = subscriber.pull(request={"subscription": sub, "max_messages": 500}, timeout=5)
        return True, f"{len(resp.received_messages)} msgs after {time.perf_counter() - t0:.2f} s"

    subscriber.delete_subscription(request={"subscription": sub})
    publisher.delete_topic(request={"topic": topic})


def to_markdown() -> str:
    out = ["| section | feature | result | detail |", "|---|---|---|---|"]
    for r in RESULTS:
        out.append(f"| {r['section']} | {r['feature']} | {r['status']} | {r['detail'][:300]} |")
    return "\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--no-pubsub", action="store_true")
    a = ap.parse_args()
    endpoint = os.environ.get("VA_BIGQUERY_ENDPOINT")
    if not endpoint:
        print("set VA_BIGQUERY_ENDPOINT (eval \"$(scripts/emulators.sh start)\")", file=sys.stderr)
        return 2
    probe_bigquery(endpoint, os.environ.get("VA_BIGQUERY_ENDPOINT_UNPATCHED"))
    if not a.no_pubsub and os.environ.get("PUBSUB_EMULATOR_HOST"):
        probe_pubsub()
    if a.markdown:
        open(a.markdown, "w").write(to_markdown())
    if a.json:
        json.dump(RESULTS, open(a.json, "w"), indent=1, default=str)
    bad = [r for r in RESULTS if r["status"] != "works"]
    print(f"\n{len(RESULTS) - len(bad)}/{len(RESULTS)} work", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
