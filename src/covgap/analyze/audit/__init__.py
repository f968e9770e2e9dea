"""The audit: rules over the suite, its configuration and its CI, and the score they make."""

# Each finding comes with its evidence, why it matters, the fix to paste and the points it costs.
# Pure: every fact comes in ``AuditFacts`` (read by ``collect``); nothing here reads a file.
# docs/audit.md lists every rule, its severity and the scoring. ``rules.py`` holds the rule
# table; each area's checks have their module (``suite.py`` with ``suite_pytest.py`` and
# ``suite_dependencies.py``, ``ci.py`` with ``ci_steps.py``, ``settings.py``, ``target.py``,
# ``health.py``, ``docs.py``); ``score.py`` puts them together and scores them (``audit``).

from __future__ import annotations

from covgap.analyze.audit.rules import AREAS, POINTS
from covgap.analyze.audit.score import audit
from covgap.collect.project.audit_inputs import AuditFacts

__all__ = ["AREAS", "POINTS", "AuditFacts", "audit"]
