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

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
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
    try:
        first_line = proc.stdout.readline().strip()
        if not first_line.startswith("listening on "):
            proc.kill()
            _, err = proc.communicate(timeout=5)
            pytest.fail(f"server did not start: {first_line!r}\n{err}")
        yield "http://" + first_line.removeprefix("listening on ")
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=10)
        finally:
            proc.stdout.close()
            proc.stderr.close()
    assert proc.returncode == 0, "server did not shut down cleanly on SIGTERM"


def call(base_url, method, path, payload=None, token=None):
    data = None if payload is None else json.dumps(payload).encode()
    req = urllib.request.Request(base_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_health(base_url) -> None:
    status, body = call(base_url, "GET", "/health")
    assert status == 200
    assert body["status"] == "ok"
    assert body["products"] == 6


def test_product_search(base_url) -> None:
    status, body = call(base_url, "GET", "/products?q=tea&per_page=2")
    assert status == 200
    assert body["total"] == 3
    assert len(body["items"]) == 2

    status, body = call(base_url, "GET", "/products/NOPE-000")
    assert status == 404


def test_login_and_profile(base_url) -> None:
    status, body = call(
        base_url, "POST", "/login", {"username": "alice", "password": "Wonderland42"}
    )
    assert status == 200
    token = body["token"]

    status, body = call(base_url, "GET", "/me", token=token)
    assert status == 200
    assert body["username"] == "alice"

    status, _ = call(base_url, "POST", "/login", {"username": "alice", "password": "x"})
    assert status == 401
