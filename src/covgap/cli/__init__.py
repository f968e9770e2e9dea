"""The command line: parse, call the api, render, exit with a documented code. No analysis here."""

from __future__ import annotations

from covgap.cli.dispatch import main

__all__ = ["main"]
