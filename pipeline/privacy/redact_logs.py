"""Secrets never reach a log line, whoever logs it.

Client libraries log what they send: httpx logs every request URL at INFO, and a Slack incoming-webhook URL *is*
a credential. A filter on named loggers misses their children and a handler filter misses handlers added later
(Dagster's, a deployment's), so the record factory itself masks any configured secret (`secret_values`) when a
record is created. Values are re-read per record, so a key rotated in the environment is masked too.
"""

from __future__ import annotations

import logging

from pipeline.settings import secret_values

MASK = "[REDACTED]"


def _masking(factory):
    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        secrets = secret_values()
        if secrets:
            message = record.getMessage()
            if any(secret in message for secret in secrets):
                for secret in secrets:
                    message = message.replace(secret, MASK)
                record.msg, record.args = message, ()
        return record

    make_record.masks_secrets = True
    return make_record


def install_secret_redaction() -> None:
    """Wrap the process's log record factory once (repeat calls are no-ops)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "masks_secrets", False):
        logging.setLogRecordFactory(_masking(factory))
