"""A loopback Salesforce that speaks the endpoints the sync uses, over TLS (simple-salesforce only speaks https):

- PATCH /services/data/vXX.X/composite/sobjects/Lead/<ExternalIdField>   (REST composite upsert, allOrNone=false)
- POST  /services/data/vXX.X/jobs/ingest                                   (Bulk 2.0: create job)
- PUT   /services/data/vXX.X/jobs/ingest/<id>/batches                      (upload CSV)
- PATCH /services/data/vXX.X/jobs/ingest/<id>                              (UploadComplete / Aborted)
- GET   /services/data/vXX.X/jobs/ingest/<id>                              (job info: JobComplete at once)
- GET   /services/data/vXX.X/jobs/ingest/<id>/{successfulResults,failedResults,unprocessedRecords}

Leads are kept by External ID. Records whose External ID is in `state.reject` fail with a FIELD_CUSTOM_VALIDATION
error; `state.throttle` answers that many next requests with 429 and `Retry-After: 0`; `state.script` gives the
next requests' fates in order (None: served normally, a status: answered with that error and not applied).
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from fake_http import QuietHandler, serve


@dataclass
class SalesforceState:
    access_token: str = "00Dfake!token"
    reject: set[str] = field(default_factory=set)
    throttle: int = 0
    script: list[int | None] = field(default_factory=list)
    leads: dict[str, dict] = field(default_factory=dict)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (api, external id), every accepted upsert
    accepted_records: list[dict] = field(default_factory=list)  # each accepted upsert's fields, in order
    rejected: list[tuple[str, str]] = field(default_factory=list)
    requests: list[tuple[str, str, int]] = field(default_factory=list)  # (method, path, status)
    jobs: dict[str, dict] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 0

    def upsert(self, api: str, external_field: str, record: dict) -> tuple[bool, str, str]:
        """Apply one record; (success, Salesforce Id, error)."""
        key = record.get(external_field)
        if not key:
            return False, "", "MISSING_ARGUMENT: external id missing"
        if key in self.reject:
            self.rejected.append((api, key))
            return False, "", "FIELD_CUSTOM_VALIDATION_EXCEPTION: Company is on the do-not-contact list"
        if key not in self.leads:
            self.next_id += 1
            self.leads[key] = {"Id": f"00Q{self.next_id:015d}"}
        self.leads[key].update({k: v for k, v in record.items() if k != "attributes" and v != ""})
        self.accepted.append((api, key))
        self.accepted_records.append({k: v for k, v in record.items() if k != "attributes"})
        return True, self.leads[key]["Id"], ""


_API = r"/services/data/v[\d.]+"


class SalesforceHandler(QuietHandler):
    def _handle(self, method: str) -> None:
        state: SalesforceState = self.server.state
        body = self.body()
        with state.lock:
            status = self._route(state, method, body)
            state.requests.append((method, self.path, status))

    def _json(self, status: int, payload) -> int:
        self.reply(status, json.dumps(payload).encode())
        return status

    def _route(self, state: SalesforceState, method: str, body: bytes) -> int:
        if self.headers.get("Authorization") != f"Bearer {state.access_token}":
            return self._json(401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])
        if state.throttle > 0:
            state.throttle -= 1
            self.reply(429, b'[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}]',
                       headers={"Retry-After": "0"})
            return 429
        fate = state.script.pop(0) if state.script else None
        if fate is not None:
            return self._json(fate, [{"errorCode": "UNKNOWN_EXCEPTION", "message": "scripted failure"}])
        limit = {"Sforce-Limit-Info": "api-usage=25/15000"}
        path = self.path.split("?")[0]
        if method == "PATCH" and (m := re.fullmatch(_API + r"/composite/sobjects/Lead/(\w+)", path)):
            payload = json.loads(body)
            results = []
            for record in payload["records"]:
                ok, sf_id, error = state.upsert("rest", m.group(1), record)
                results.append({"id": sf_id or None, "success": ok, "created": ok,
                                "errors": [] if ok else [{"statusCode": error.split(":")[0],
                                                          "message": error.split(": ", 1)[1], "fields": []}]})
            self.reply(200, json.dumps(results).encode(), headers=limit)
            return 200
        if method == "POST" and re.fullmatch(_API + r"/jobs/ingest/?", path):
            spec = json.loads(body)
            job_id = f"750{len(state.jobs) + 1:015d}"
            state.jobs[job_id] = {"id": job_id, "state": "Open", "object": spec["object"],
                                  "operation": spec["operation"], "externalIdFieldName": spec.get("externalIdFieldName"),
                                  "ok": [], "failed": [], "csv_header": []}
            return self._json(200, {k: v for k, v in state.jobs[job_id].items() if k not in ("ok", "failed", "csv_header")})
        if (m := re.fullmatch(_API + r"/jobs/ingest/(\w+)(/\w+)?", path)) and m.group(1) in state.jobs:
            job, tail = state.jobs[m.group(1)], m.group(2)
            if method == "PUT" and tail == "/batches":
                rows = list(csv.DictReader(io.StringIO(body.decode())))
                job["csv_header"] = list(rows[0].keys()) if rows else []
                for row in rows:
                    ok, sf_id, error = state.upsert("bulk2", job["externalIdFieldName"], row)
                    (job["ok"] if ok else job["failed"]).append((row, sf_id, error))
                self.reply(201)
                return 201
            if method == "PATCH" and tail is None:
                requested = json.loads(body)["state"]
                job["state"] = "JobComplete" if requested == "UploadComplete" else requested
                return self._json(200, {"id": job["id"], "state": requested})
            if method == "GET" and tail is None:
                return self._json(200, {"id": job["id"], "state": job["state"],
                                        "numberRecordsProcessed": len(job["ok"]) + len(job["failed"]),
                                        "numberRecordsFailed": len(job["failed"])})
            if method == "GET" and tail in ("/successfulResults", "/failedResults", "/unprocessedRecords"):
                out = io.StringIO()
                header = job["csv_header"]
                if tail == "/successfulResults":
                    writer = csv.writer(out, lineterminator="\n")
                    writer.writerow(["sf__Id", "sf__Created", *header])
                    for row, sf_id, _ in job["ok"]:
                        writer.writerow([sf_id, "true", *[row[h] for h in header]])
                elif tail == "/failedResults":
                    writer = csv.writer(out, lineterminator="\n")
                    writer.writerow(["sf__Id", "sf__Error", *header])
                    for row, _, error in job["failed"]:
                        writer.writerow(["", error, *[row[h] for h in header]])
                else:
                    csv.writer(out, lineterminator="\n").writerow(header)
                self.reply(200, out.getvalue().encode(), content_type="text/csv")
                return 200
        return self._json(404, [{"errorCode": "NOT_FOUND", "message": f"{method} {path}"}])

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_PATCH(self) -> None:  # noqa: N802
        self._handle("PATCH")


@contextmanager
def serve_salesforce(state: SalesforceState, tls_dir: Path) -> Iterator[dict[str, str]]:
    """The loopback Salesforce over TLS with a throwaway certificate, up until the block ends. Yields the environment
    that points the pipeline at it: its URL, its token, and `requests`' trust in the certificate."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    with serve(SalesforceHandler, state, tls_dir=tls_dir) as url:
        yield {"SALESFORCE_INSTANCE_URL": url, "SALESFORCE_ACCESS_TOKEN": state.access_token,
               "REQUESTS_CA_BUNDLE": str(tls_dir / "cert.pem")}
