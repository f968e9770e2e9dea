"""The pytest plugin ``covgap run`` loads into the measured suite (``covgap_pytest``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLUGIN_DIR", "PLUGIN_NAME"]

#: Put on the suite's PYTHONPATH so that ``-p covgap_pytest`` finds the plugin in any
#: environment, covgap installed there or not.
PLUGIN_DIR = Path(__file__).parent
PLUGIN_NAME = "covgap_pytest"
