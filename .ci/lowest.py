"""Print pip constraints pinning covgap's runtime dependencies at the lowest versions that
pyproject.toml allows (each ``>=`` bound), so CI can test that those versions still work.

Usage: python .ci/lowest.py > constraints.txt; pip install -e ".[test]" -c constraints.txt
"""

from __future__ import annotations

import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def lowest_pins(pyproject: Path) -> list[str]:
    """``name==lowest`` for every dependency with a ``>=`` bound, with its environment marker."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    pins = []
    for text in project["dependencies"]:
        requirement = Requirement(text)
        lowest = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if not lowest:
            continue
        marker = f"; {requirement.marker}" if requirement.marker else ""
        pins.append(f"{requirement.name}=={lowest[0]}{marker}")
    return pins


if __name__ == "__main__":
    print("\n".join(lowest_pins(Path(__file__).resolve().parents[1] / "pyproject.toml")))
