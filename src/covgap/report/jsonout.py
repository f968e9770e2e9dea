"""Render the view as ``plan.json``: the view dict itself."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["render_json"]


def render_json(view: dict[str, Any]) -> str:
    return json.dumps(view, indent=2, ensure_ascii=False) + "\n"
