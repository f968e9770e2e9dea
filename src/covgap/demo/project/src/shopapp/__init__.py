"""shopapp: a small, self-contained online shop backend.

The package is intentionally dependency free (standard library only) so that it
can be used as a realistic, offline example project.
"""

from __future__ import annotations

__all__ = ["__version__", "version_info"]

__version__ = "1.4.2"


def version_info() -> tuple[int, int, int]:
    """Return the package version as a tuple of integers."""
    major, minor, patch = (int(part) for part in __version__.split("."))
    return major, minor, patch
