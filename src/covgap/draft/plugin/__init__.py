"""The pytest plugin drafted tests run under (``covgap_draft``): order, contexts, outcomes."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLUGIN_DIR", "PLUGIN_NAME"]

#: Put on PYTHONPATH so that ``-p covgap_draft`` finds the plugin in the project's environment.
PLUGIN_DIR = Path(__file__).parent
PLUGIN_NAME = "covgap_draft"
