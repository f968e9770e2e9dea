"""covgap: find, rank and close the gaps in a Python project's test coverage."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
