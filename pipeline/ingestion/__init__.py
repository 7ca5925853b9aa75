"""Pub/Sub to the raw tables, exactly once in effect: `pubsub.py` pulls, peeks and acknowledges; `landing.py`
validates each payload against the contract and writes sessions and rejects in one transaction."""
