"""End-to-end: run the real server in a subprocess and talk HTTP to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    """Start ``python -m shopapp.server --port 0`` and yield its base URL."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(PROJECT_ROOT / "src"), env.get("PYTHONPATH")])
    )
    env["SHOPAPP_SECRET_KEY"] = "e2e-test-secret-key-0123456789"
    proc = subprocess.Popen(
        [sys.executable, "-m", "shopapp.server", "--port", "0"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        first_line = proc.stdout.readline().strip()
        if not first_line.startswith("listening on "):
            proc.kill()
            pytest.fail(f"server did not start: {first_line!r}\n{proc.stderr.read()}")
        yield "http://" + first_line.removeprefix("listening on ")
    finally:
        # SIGTERM: the server shuts down cleanly, so coverage can save its data.
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0, "server did not shut down cleanly on SIGTERM"


def get(base_url: str, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(base_url + path, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_health(base_url: str) -> None:
    status, body = get(base_url, "/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["products"] == 6


def test_product_search_is_paginated(base_url: str) -> None:
    status, body = get(base_url, "/products?q=tea&per_page=2")
    assert status == 200
    assert body["total"] == 3
    assert body["pages"] == 2
    assert [item["sku"] for item in body["items"]] == ["TEA-001", "BOOK-010"]


def test_unknown_product_is_404(base_url: str) -> None:
    status, body = get(base_url, "/products/NOPE-000")
    assert status == 404
    assert "NOPE-000" in body["error"]
