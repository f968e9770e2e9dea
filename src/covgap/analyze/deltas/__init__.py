"""The change between two snapshots of the coverage history, explained; pure, no I/O.

``changes`` holds what an explained change says, ``explaining`` explains two snapshots' change,
``following`` follows a file's statements and branches from one to the other.
"""

from __future__ import annotations

from covgap.analyze.deltas.changes import Delta, FileDelta, UnitChange
from covgap.analyze.deltas.explaining import DEFAULT_DROP_THRESHOLD, explain, explain_history

__all__ = [
    "DEFAULT_DROP_THRESHOLD",
    "Delta",
    "FileDelta",
    "UnitChange",
    "explain",
    "explain_history",
]
