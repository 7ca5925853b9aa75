"""Faults 6 and 7, beyond tests/test_salesforce.py and tests/test_slack.py (which prove one partial failure and
one outage): several runs through failures on a larger set, counting what the loopback servers applied.

- Salesforce: 600 leads (three composite requests), three rejected by a validation rule and the second request
  failing with HTTP 500, through the real asset: the run fails, the next ones send only what was not accepted,
  and no lead is upserted twice.
- Slack: the webhook dies mid-run, stays down for two more runs while new days arrive, then comes back: every
  hot session is alerted exactly once overall, and a down run stops at its first failed message.
"""

from __future__ import annotations

from collections import Counter

import dagster as dg
import pytest

from conftest import dagster_resources
from fake_http import serve
from fake_marts import MARTS_DAYS, marts_warehouse  # noqa: F401 (fixture `warehouse`)
from fake_slack import SlackHandler, SlackState
from pipeline.destinations.salesforce import SalesforceConfig
from pipeline.destinations.slack import SlackConfig, send_hot_lead_alerts
from pipeline.resources import SalesforceResource
from test_salesforce import lead_ids, salesforce  # noqa: F401 (fixture)
from test_slack import alerted_sessions, hot_ids

LEADS = 600


def grow_leads(warehouse, total: int) -> list[str]:
    """Copies of the mart's leads under new External IDs, up to `total` rows."""
    have = len(lead_ids(warehouse))
    copies = -(-total // have) - 1
    warehouse.run_transaction([
        "INSERT INTO sync_salesforce_leads SELECT l.* REPLACE (md5(l.external_id || n::VARCHAR) AS external_id) "
        "FROM sync_salesforce_leads AS l, range(1, $copies + 1) AS r(n)",
        "DELETE FROM sync_salesforce_leads WHERE external_id NOT IN "
        "(SELECT external_id FROM sync_salesforce_leads ORDER BY external_id LIMIT $total)"],
        {"copies": copies, "total": total})
    return lead_ids(warehouse)


def sync(warehouse, config: SalesforceConfig) -> dg.ExecuteInProcessResult:
    from assets.destinations import salesforce_sync

    salesforce = SalesforceResource(instance_url=config.instance_url, access_token=config.access_token)
    return dg.materialize([salesforce_sync], partition_key=MARTS_DAYS[-1].isoformat(), raise_on_error=False,
                          resources=dagster_resources(warehouse, salesforce=salesforce))


def test_salesforce_failures_across_runs_upsert_each_lead_once(warehouse, salesforce):
    state, config = salesforce
    ids = grow_leads(warehouse, LEADS)
    assert len(ids) == LEADS
    state.reject = {ids[1], ids[50], ids[199]}  # all in the first request of 200
    state.script = [None, 500]  # the second request fails whole

    assert not sync(warehouse, config).success  # the run fails, after recording what the first request settled
    assert sorted(k for _, k in state.accepted) == sorted(set(ids[:200]) - state.reject)
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_failed") == 3

    assert sync(warehouse, config).success  # the rest, and the three again (still rejected)
    assert warehouse.scalar("SELECT MIN(attempts) FROM salesforce_failed") == 2
    state.reject = set()
    assert sync(warehouse, config).success
    requests = len(state.requests)
    assert sync(warehouse, config).success and len(state.requests) == requests, "nothing left to send"

    upserts = Counter(k for _, k in state.accepted)
    assert set(upserts) == set(ids) and set(upserts.values()) == {1}, "no lead upserted twice"
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_synced") == LEADS
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_failed") == 0
    print(f"requests {requests} (statuses {Counter(s for _, _, s in state.requests)}), rejected upserts "
          f"{len(state.rejected)}, accepted upserts {len(state.accepted)} for {LEADS} leads")


@pytest.fixture
def slack():
    state = SlackState()
    with serve(SlackHandler, state) as url:
        yield state, SlackConfig(webhook_url=url + state.path, backoff_base_s=0.0)


def test_slack_down_mid_run_then_for_two_runs_alerts_each_hot_session_once(warehouse, slack):
    state, config = slack
    expected = hot_ids(warehouse, days=MARTS_DAYS)
    first_day = hot_ids(warehouse, days=MARTS_DAYS[:1])
    assert len(first_day) > 2
    state.up_for = 2  # two alerts go out, then the webhook dies

    runs = [send_hot_lead_alerts(warehouse, MARTS_DAYS[:1], config)]
    state.down = True
    for days in (MARTS_DAYS[:1], MARTS_DAYS[:2]):  # the next runs, one of them with a new day
        before = len(state.statuses)
        runs.append(send_hot_lead_alerts(warehouse, days, config))
        assert len(state.statuses) - before == config.max_attempts, "a down run stops at its first message"
    state.down, state.up_for = False, None
    runs += [send_hot_lead_alerts(warehouse, MARTS_DAYS[:2], config), send_hot_lead_alerts(warehouse, MARTS_DAYS, config)]
    runs.append(send_hot_lead_alerts(warehouse, MARTS_DAYS, config))

    assert [(r.sent, r.failed) for r in runs[:3]] == [(2, 1), (0, 1), (0, 1)]
    assert runs[-1].hot == 0 and runs[-1].sent == 0
    alerted = Counter(alerted_sessions(state))
    assert set(alerted) == expected and set(alerted.values()) == {1}, "each hot session alerted exactly once"
    assert sum(r.sent for r in runs) == len(expected)
    assert warehouse.scalar("SELECT COUNT(*) FROM alerts_sent") == len(expected)
    print(f"hot sessions {len(expected)}, webhook requests {len(state.statuses)} "
          f"({Counter(state.statuses)}), per run sent/failed {[(r.sent, r.failed) for r in runs]}")
