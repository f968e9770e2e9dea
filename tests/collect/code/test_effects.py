"""Effect detectors: each critical construct found, resolved through the module's imports."""

from __future__ import annotations

import textwrap

import pytest

from covgap.collect.code.code_walk import facts_from_source


def effects_of(body: str, imports: str = "") -> list[tuple[str, int, str]]:
    """The effects of ``f`` defined after ``imports``: (kind, line within ``f``, what)."""
    source = textwrap.dedent(imports) + "\n\ndef f(data, path, user, conn, password, stored):\n"
    source += textwrap.indent(textwrap.dedent(body), "    ")
    facts = facts_from_source(source)
    function = next(fn for fn in facts.functions if fn.name == "f")
    return [(e.kind, e.line - function.line, e.what) for e in function.effects]


@pytest.mark.parametrize(
    ("imports", "body", "expected"),
    [
        # crypto and credentials
        pytest.param(
            "import hmac",
            "return hmac.compare_digest(data, stored)",
            [("credentials", 1, "hmac.compare_digest")],
            id="compare-digest",
        ),
        pytest.param(
            "from hmac import compare_digest as same",
            "return same(data, stored)",
            [("credentials", 1, "hmac.compare_digest")],
            id="aliased-from-import",
        ),
        pytest.param(
            "import hashlib as h",
            "return h.sha256(data).hexdigest()",
            [("crypto", 1, "hashlib.sha256")],
            id="hashlib-alias",
        ),
        pytest.param(
            "from secrets import token_hex",
            "return token_hex(16)",
            [("crypto", 1, "secrets.token_hex")],
            id="secrets",
        ),
        pytest.param(
            "import jwt",
            "return jwt.decode(data, stored, algorithms=['HS256'])",
            [("crypto", 1, "jwt.decode")],
            id="jwt",
        ),
        pytest.param(
            "from passlib.hash import bcrypt",
            "return bcrypt.verify(password, stored)",
            [("crypto", 1, "passlib.hash.bcrypt.verify")],
            id="passlib",
        ),
        pytest.param(
            "",
            "if password == stored:\n    return True",
            [("credentials", 1, "password == …")],
            id="password-compared",
        ),
        pytest.param(
            "",
            "if password is None or password == 3:\n    return True",
            [],
            id="password-checked-not-compared",
        ),
        pytest.param(
            "",
            "if user.token == T.Keyword:\n    return True",
            [],
            id="token-against-a-constant",
        ),
        pytest.param(
            "",
            "if self.prerelease_token != other.prerelease_token:\n    return False",
            [],
            id="a-part-of-a-version-is-no-credential",
        ),
        pytest.param(
            "",
            "if expected_token != request.token:\n    return False",
            [("credentials", 1, "expected_token != …")],
            id="an-expected-token-is",
        ),
        # permission and authentication checks
        pytest.param(
            "",
            "if not user.is_admin:\n    raise PermissionError('admins only')",
            [("credentials", 2, "raise PermissionError")],
            id="raise-permission-error",
        ),
        pytest.param(
            "from werkzeug.exceptions import Forbidden",
            "raise Forbidden()",
            [("credentials", 1, "raise Forbidden")],
            id="raise-forbidden",
        ),
        pytest.param(
            "from fastapi import HTTPException",
            "raise HTTPException(status_code=401)",
            [("credentials", 1, "raise HTTPException (401)")],
            id="http-401",
        ),
        pytest.param(
            "from flask import abort",
            "abort(403)",
            [("credentials", 1, "abort(403)")],
            id="abort-403",
        ),
        pytest.param("from flask import abort", "abort(404)", [], id="abort-404"),
        # SQL
        pytest.param(
            "import sqlite3",
            "cur = conn.cursor()\ncur.execute(data)",
            [("sql", 2, "cur.execute")],
            id="cursor-execute",
        ),
        pytest.param(
            "",
            "conn.execute('SELECT name FROM users WHERE id = ?', (user,))",
            [("sql", 1, 'conn.execute("SELECT name FROM users WHERE id = ?")')],
            id="raw-sql-string",
        ),
        pytest.param("", "self.runner.execute(data)", [], id="not-a-database"),
        # money
        pytest.param(
            "from decimal import Decimal",
            "return Decimal(data) * 100",
            [("money", 1, "Decimal arithmetic")],
            id="decimal",
        ),
        pytest.param(
            "import stripe",
            "return stripe.Charge.create(amount=data)",
            [("money", 1, "stripe.Charge.create")],
            id="stripe",
        ),
        # destructive
        pytest.param(
            "import shutil, os",
            "shutil.rmtree(path)\nos.remove(path)",
            [("destructive", 1, "shutil.rmtree"), ("destructive", 2, "os.remove")],
            id="rmtree-remove",
        ),
        pytest.param(
            "import subprocess",
            "subprocess.run(data, shell=True)\nsubprocess.run([data])",
            [("destructive", 1, "subprocess.run(shell=True)")],
            id="shell-true-only",
        ),
        pytest.param(
            "from os import system",
            "system(data)",
            [("destructive", 1, "os.system")],
            id="os-system",
        ),
        # deserialisation
        pytest.param(
            "import pickle",
            "return pickle.loads(data)",
            [("deserialize", 1, "pickle.loads")],
            id="pickle",
        ),
        pytest.param(
            "import yaml",
            "a = yaml.load(data)\nb = yaml.load(data, Loader=yaml.SafeLoader)",
            [("deserialize", 1, "yaml.load without a safe loader")],
            id="yaml-load",
        ),
        pytest.param("", "return eval(data)", [("deserialize", 1, "eval()")], id="eval"),
        pytest.param(
            "from mylib import loads", "return loads(data)", [], id="own-loads-is-not-pickle"
        ),
        pytest.param(
            "import marshal",
            "return marshal.loads(data)",
            [("deserialize", 1, "marshal.loads")],
            id="marshal",
        ),
        # network writes
        pytest.param(
            "import requests",
            "requests.post(path, json=data)\nrequests.get(path)",
            [("network", 1, "requests.post")],
            id="requests-post-not-get",
        ),
        pytest.param(
            "import smtplib",
            "with smtplib.SMTP(path) as server:\n    server.send_message(data)",
            [("network", 1, "smtplib.SMTP")],
            id="smtp",
        ),
        pytest.param(
            "import socket",
            "sock = socket.create_connection(path)\nsock.sendall(data)",
            [("network", 2, "sock.sendall")],
            id="socket-send",
        ),
    ],
)
def test_detectors(imports: str, body: str, expected: list[tuple[str, int, str]]) -> None:
    """Each detector finds its construct, at its line, named as the module's imports resolve it."""
    assert effects_of(body, imports) == expected


def test_guard_decorators() -> None:
    """@login_required and @permission_required(...) guard a view."""
    source = textwrap.dedent(
        """\
        from django.contrib.auth.decorators import login_required, permission_required

        @login_required
        @permission_required("shop.refund")
        def refund(request):
            return None
        """
    )
    function = next(f for f in facts_from_source(source).functions if f.name == "refund")
    assert [(e.kind, e.line, e.what) for e in function.effects] == [
        ("credentials", 3, "@login_required"),
        ("credentials", 4, "@permission_required"),
    ]


def test_a_session_attribute_resolves_to_its_type() -> None:
    """self.session = requests.Session() in __init__ makes self.session.post a network write."""
    source = textwrap.dedent(
        """\
        import requests

        class Client:
            def __init__(self):
                self.session = requests.Session()

            def send(self, data):
                return self.session.post("/x", json=data)
        """
    )
    function = next(f for f in facts_from_source(source).functions if f.name == "Client.send")
    assert [(e.kind, e.line, e.what) for e in function.effects] == [
        ("network", 8, "requests.Session.post")
    ]


@pytest.mark.parametrize(
    ("source", "lexical"),
    [
        pytest.param(
            "from sqlparse import tokens as T\n", "it imports `sqlparse.tokens`", id="tokens-module"
        ),
        pytest.param("import tokenize\n", "it imports `tokenize`", id="stdlib-tokenize"),
        pytest.param("from secrets import token_hex\n", "", id="token-hex-is-not"),
        pytest.param("from jwt.exceptions import InvalidTokenError\n", "", id="a-class-is-not"),
        pytest.param(
            "def a(tok): pass\ndef b(tokens): pass\ndef c(x): return x.ttype\n",
            "3 of its 3 functions handle tokens",
            id="mostly-token-handling",
        ),
        pytest.param("def a(token): pass\ndef b(x): pass\ndef c(y): pass\n", "", id="one-of-three"),
    ],
)
def test_lexical_context(source: str, lexical: str) -> None:
    """A module that imports a tokens module, or mostly handles tokens, is a lexer context."""
    assert facts_from_source(source).lexical == lexical


def test_lexer_token_comparison_is_not_a_credential() -> None:
    """In a lexer, `token == other` compares words of the language."""
    source = "import tokenize\n\ndef same(token, other):\n    return token == other\n"
    function = next(f for f in facts_from_source(source).functions if f.name == "same")
    assert function.effects == ()
