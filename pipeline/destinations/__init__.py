"""Where the marts go: Salesforce (leads), Slack (hot-lead alerts), Amplitude (session events) and the dashboard.

Each destination keeps its own bookkeeping table in the warehouse (`tables.py`), so a re-run sends only what has
not been delivered, and each falls back to a dry run that writes to `destination_outbox` when it has no
credentials.
"""
