"""``covgap draft --engine llm`` end to end: the replaying stand-in for the model (the only
stand-in: the model is outside this machine), covgap's own filter and check, real pytest and
coverage.py on a measured project."""

from __future__ import annotations

import sys
from pathlib import Path

from replay_server import replay_server

from covgap.api import plan
from covgap.config import load_settings
from covgap.draft.engines.base import LlmSettings
from covgap.draft.session import DraftOptions, run_draft
from covgap.draft.targets import Selection

WRONG = """Here you are:

```python
from textutil.text import camelize


def test_camelize_lower():
    assert camelize("a_b", upper=False) == "ab"
```
"""
GOOD = WRONG.replace('== "ab"', '== "aB"')


def test_a_failing_answer_is_sent_back_and_the_second_is_kept(text_project: Path) -> None:
    settings = load_settings(text_project, {"cache": False})
    result = plan(text_project, settings)
    with replay_server([WRONG, GOOD]) as server:
        options = DraftOptions(
            selection=Selection(functions=("src/textutil/text.py::camelize",)),
            engines=("llm",),
            runs=2,
            python=sys.executable,
            llm=LlmSettings(base_url=server.base_url, model="replayed", attempts=3),
        )
        drafted = run_draft(text_project, result, settings, options)
        requests = list(server.requests)
    first_prompt = requests[0].last_user_message
    assert "10" in first_prompt and "upper" in first_prompt  # its missing line and condition
    assert len(requests) == 2
    # covgap's own check ran the first answer: its failure goes back to the model
    assert "AssertionError" in requests[1].last_user_message
    assert "test_camelize_lower" in requests[1].last_user_message
    by_attempt = {t.attempt: t.status for t in drafted.tests}
    assert by_attempt == {1: "failed", 2: "kept"}
    assert [f.path for f in drafted.files] == ["tests/test_text_generated.py"]
    assert (
        drafted.after is not None and drafted.after.percent_covered > drafted.before.percent_covered
    )
