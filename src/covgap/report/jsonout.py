"""Render the view as ``plan.json``: the view dict itself."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["render_json"]


def render_json(view: dict[str, Any]) -> str:
    """Compact, like ``coverage json``: pretty-printing a big plan costs more than planning it.

    (``python -m json.tool plan.json`` shows it indented.)
    """
    return json.dumps(view, ensure_ascii=False, separators=(",", ":")) + "\n"
