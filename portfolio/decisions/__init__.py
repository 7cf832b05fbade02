"""The decision log: what executives and managers decided on the dashboard's suggestions.

A layer of its own, below the read and write sides and the delivery, above `queries` and
`portfolio.core`; no streamlit. Decisions are kept beside the releases, never in one:
releases stay immutable, and decisions survive every import (see docs/decisions.md).
"""

from portfolio.decisions.record import VERDICTS, Decision, DecisionError, check
from portfolio.decisions.store import (
    DECISIONS_ENV,
    DecisionLog,
    DecisionLogError,
    PostgresLog,
    SqliteLog,
    log_location,
    open_log,
)

__all__ = ["DECISIONS_ENV", "VERDICTS", "Decision", "DecisionError", "DecisionLog",
           "DecisionLogError", "PostgresLog", "SqliteLog", "check", "log_location", "open_log"]
