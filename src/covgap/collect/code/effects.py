"""What a function does that makes a bug in it costly: detectors over its AST nodes.

Each detector looks at one kind of node (a call, a ``raise``, a comparison, arithmetic, a
decorator) and says what it is in the module's own terms: a call is resolved through the
module's imports (``from hmac import compare_digest as same`` makes ``same(a, b)`` a call of
``hmac.compare_digest``), never by its bare name, so a project's own ``loads`` is not pickle's.
docs/risk.md lists every detector; ``code_walk/function_walk.py`` calls them while it walks each
function.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping

from covgap.collect.code.ast_names import dotted_name
from covgap.collect.code.code_facts import Effect, EffectKind

__all__ = [
    "CREDENTIAL_WORDS",
    "EffectFinder",
    "is_lexical_module",
    "lexical_reason",
]

#: Modules (and packages) whose every call is cryptography: signing, hashing, secrets, tokens.
_CRYPTO_MODULES = frozenset(
    {
        "hmac",
        "hashlib",
        "secrets",
        "jwt",
        "jose",
        "cryptography",
        "passlib",
        "bcrypt",
        "argon2",
        "nacl",
        "Crypto",
        "Cryptodome",
        "itsdangerous",
        "authlib",
    }
)

#: Payment SDKs: any call into them moves money.
_PAYMENT_MODULES = frozenset(
    {
        "stripe",
        "paypalrestsdk",
        "paypalcheckoutsdk",
        "paypal",
        "braintree",
        "adyen",
        "Adyen",
        "squareup",
        "square",
        "razorpay",
        "mollie",
        "paddle",
        "checkout_sdk",
        "gocardless_pro",
    }
)

#: Resolved calls that delete files or run a shell command.
_DESTRUCTIVE_CALLS = frozenset(
    {
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.removedirs",
        "os.truncate",
        "os.system",
        "os.popen",
        "os.kill",
        "os.killpg",
        "shutil.rmtree",
        "shutil.move",
    }
)
_DESTRUCTIVE_PREFIXES = ("os.exec", "os.spawn")
_SUBPROCESS_CALLS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "asyncio.create_subprocess_shell",
    }
)

#: Resolved calls that turn bytes from elsewhere into live objects (or run them).
_DESERIALIZE_CALLS = frozenset(
    {
        "pickle.loads",
        "pickle.load",
        "pickle.Unpickler",
        "cPickle.loads",
        "cPickle.load",
        "_pickle.loads",
        "dill.loads",
        "dill.load",
        "cloudpickle.loads",
        "cloudpickle.load",
        "marshal.loads",
        "marshal.load",
        "shelve.open",
        "jsonpickle.decode",
        "yaml.unsafe_load",
        "yaml.unsafe_load_all",
    }
)
#: ``yaml.load`` is safe only with a safe loader.
_YAML_LOADS = frozenset({"yaml.load", "yaml.load_all"})
_SAFE_YAML_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader")
#: Built-ins that run code from a string.
_EVAL_BUILTINS = frozenset({"eval", "exec"})

#: Resolved calls that send data out: HTTP writes, mail, raw sockets.
_NETWORK_CALLS = frozenset(
    {
        f"{module}.{verb}"
        for module in ("requests", "httpx", "requests.api", "treq")
        for verb in ("post", "put", "patch", "delete")
    }
    | {
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "smtplib.LMTP",
        "ftplib.FTP",
        "ftplib.FTP_TLS",
        "urllib.request.urlopen",
    }
)
#: Methods that write to a session or client whose type is known (``self.session = requests.
#: Session()`` in __init__, then ``self.session.post(...)``).
_NETWORK_CLIENTS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "smtplib.SMTP",
        "smtplib.SMTP_SSL",
        "socket.socket",
        "socket.create_connection",
    }
)
_NETWORK_METHODS = frozenset(
    {"post", "put", "patch", "delete", "send", "sendall", "sendto", "sendmail", "send_message"}
)

#: Modules whose presence means ``x.execute(...)`` runs SQL.
_DATABASE_MODULES = frozenset(
    {
        "sqlite3",
        "aiosqlite",
        "psycopg",
        "psycopg2",
        "asyncpg",
        "pymysql",
        "MySQLdb",
        "mysql",
        "aiomysql",
        "cx_Oracle",
        "oracledb",
        "pyodbc",
        "sqlalchemy",
        "django",
        "peewee",
        "records",
        "databases",
        "duckdb",
        "snowflake",
    }
)
_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "raw"})
#: A receiver named like a database handle: ``cur``, ``cursor``, ``conn``, ``session``, ``db``.
_DATABASE_RECEIVER = re.compile(
    r"(?:^|[._])(cur|cursor|conn|connection|con|session|db|database|engine|tx|transaction)s?$",
    re.IGNORECASE,
)
#: A string that is SQL: a statement keyword, then something that belongs to that statement.
_SQL_TEXT = re.compile(
    r"^\s*(select\s.+\sfrom\s|insert\s+into\s|update\s+\S+\s+set\s|delete\s+from\s"
    r"|create\s+(table|index|view)\s|drop\s+(table|index|view)\s|alter\s+table\s)",
    re.IGNORECASE | re.DOTALL,
)

#: Exceptions that deny access.
_DENIAL_EXCEPTIONS = re.compile(
    r"(?:^|\.)(PermissionError|PermissionDenied|Forbidden|HTTPForbidden|Unauthori[sz]ed"
    r"|HTTPUnauthorized|NotAuthenticated|AuthenticationFailed|AuthenticationError"
    r"|AuthorizationError|AccessDenied|InvalidToken|InvalidSignature|BadSignature)$"
)
#: ``abort(403)``, ``HTTPException(status_code=401)``: an HTTP denial by status.
_DENIAL_STATUS = frozenset({401, 403})
#: Decorators that guard a view or a function: ``@login_required``, ``@permission_required``.
_GUARD_DECORATOR = re.compile(
    r"(?:^|\.)((login|permission|permissions|auth|admin|staff|superuser|role|roles|scope|scopes"
    r"|jwt|token|fresh_jwt|user)_required|requires?_(auth|login|permission|permissions|role"
    r"|roles|scope|scopes)|user_passes_test|permission_classes|authentication_classes"
    r"|has_permission|has_role|roles_accepted|roles_required)$"
)

#: Words of a variable name that make it a credential when it is compared.
CREDENTIAL_WORDS = frozenset(
    {
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "signature",
        "sig",
        "digest",
        "mac",
        "hmac",
        "otp",
        "totp",
        "pin",
        "apikey",
        "nonce",
        "csrf",
    }
)
#: Of those, the ones a lexer or parser also uses for its own things.
_AMBIGUOUS_CREDENTIAL_WORDS = frozenset({"token", "digest", "sig", "mac", "pin"})
#: Words beside an ambiguous one that make it a part of some text or sequence, not a credential:
#: ``prerelease_token`` (semver), ``next_token``, ``end_token``, ``build_digest``.
_NOT_CREDENTIAL_QUALIFIERS = frozenset(
    {
        "next",
        "prev",
        "previous",
        "last",
        "first",
        "current",
        "cur",
        "start",
        "begin",
        "end",
        "stop",
        "open",
        "close",
        "left",
        "right",
        "lookahead",
        "peek",
        "prerelease",
        "release",
        "build",
        "version",
        "sep",
        "separator",
        "delim",
        "delimiter",
        "eof",
        "sentinel",
        "split",
        "word",
        "line",
    }
)

#: Words of a module's path or a class's name that make it a lexer, parser or formatter.
LEXICAL_WORDS = frozenset(
    {
        "lexer",
        "lexers",
        "lex",
        "parser",
        "parsers",
        "parse",
        "parsing",
        "tokenizer",
        "tokenizers",
        "tokenize",
        "tokens",
        "scanner",
        "grammar",
        "formatter",
        "formatters",
        "format",
        "formatting",
        "highlight",
        "highlighter",
        "syntax",
        "ast",
        "printer",
        "unparse",
        "compiler",
    }
)
#: Identifiers that handle tokens of a language.
_TOKEN_IDENTIFIER = re.compile(
    r"(?:^|_)(tok|toks|token|tokens|ttype|lexer|lexeme|tokenlist)s?(?:_|$)"
)
#: Modules of tokens: importing one makes a module part of a lexer or parser.
_TOKEN_MODULES = frozenset({"tokens", "token", "lexer", "lexers", "tokenize", "tokenizer"})
#: A module is mostly token handling when at least this share of its functions use such names.
TOKEN_HANDLING_SHARE = 0.4
#: …and it has at least this many functions (one helper does not make a lexer).
TOKEN_HANDLING_MIN = 3

#: Arithmetic operators: Decimal arithmetic is money arithmetic.
_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)


def _words(name: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]


class EffectFinder:
    """The detectors for one module: its imports resolve what each call refers to."""

    def __init__(
        self,
        imports: Mapping[str, str],
        attribute_types: Mapping[str, Mapping[str, str]],
        *,
        lexical: bool,
    ) -> None:
        self.imports = imports
        self.attribute_types = attribute_types
        self.lexical = lexical
        roots = {target.split(".")[0] for target in imports.values()}
        self.uses_database = bool(roots & _DATABASE_MODULES)
        self.uses_socket = "socket" in roots
        #: Local names bound to ``decimal.Decimal``.
        self.decimal_names = frozenset(
            local for local, target in imports.items() if target == "decimal.Decimal"
        ) | frozenset(
            local + ".Decimal" for local, target in imports.items() if target == "decimal"
        )

    def resolve(self, dotted: str, class_name: str | None) -> str | None:
        """The dotted name ``dotted`` stands for through the imports (and ``self.<attribute>``
        set from an import), or None when it is the module's own or unknown."""
        root, _, rest = dotted.partition(".")
        if root in self.imports:
            return self.imports[root] + (f".{rest}" if rest else "")
        if root == "self" and class_name is not None and rest:
            attribute, _, tail = rest.partition(".")
            typed = self.attribute_types.get(class_name, {}).get(attribute)
            if typed is not None:
                return typed + (f".{tail}" if tail else "")
        return None

    def call(
        self, node: ast.Call, class_name: str | None, local_names: frozenset[str]
    ) -> Effect | None:
        """A call that is critical: into a crypto or payment module, SQL, a file removed, a
        shell, unpickling, an HTTP write."""
        dotted = dotted_name(node.func)
        if dotted is None:
            return None
        line = node.lineno
        if dotted in _EVAL_BUILTINS and dotted not in local_names and dotted not in self.imports:
            return Effect("deserialize", line, f"{dotted}()")
        resolved = self.resolve(dotted, class_name)
        if resolved is not None:
            found = self._resolved_call(node, resolved)
            if found is not None:
                return found
        method = dotted.rpartition(".")[2]
        if "." in dotted and method in _SQL_METHODS:
            return self._sql(node, dotted)
        if "." in dotted and method in _NETWORK_METHODS and resolved is None:
            receiver = dotted.rpartition(".")[0]
            if self.uses_socket and re.search(r"(?:^|[._])(sock|socket|conn)s?$", receiver):
                return Effect("network", line, dotted)
        if method in ("abort", "HTTPException"):
            status = _denial_status(node)
            if status:
                return Effect("credentials", line, f"{dotted}({status})")
        return None

    def _resolved_call(self, node: ast.Call, resolved: str) -> Effect | None:
        line = node.lineno
        root = resolved.split(".")[0]
        if resolved in ("hmac.compare_digest", "secrets.compare_digest"):
            return Effect("credentials", line, resolved)
        if root in _CRYPTO_MODULES:
            return Effect("crypto", line, resolved)
        if root in _PAYMENT_MODULES:
            return Effect("money", line, resolved)
        if resolved in _DESERIALIZE_CALLS:
            return Effect("deserialize", line, resolved)
        if resolved in _YAML_LOADS and not _safe_yaml(node):
            return Effect("deserialize", line, f"{resolved} without a safe loader")
        if resolved in _DESTRUCTIVE_CALLS or resolved.startswith(_DESTRUCTIVE_PREFIXES):
            return Effect("destructive", line, resolved)
        if resolved in _SUBPROCESS_CALLS and (
            _keyword_true(node, "shell") or resolved.endswith("_shell")
        ):
            return Effect("destructive", line, f"{resolved}(shell=True)")
        if resolved in _NETWORK_CALLS:
            return Effect("network", line, resolved)
        head, _, method = resolved.rpartition(".")
        if head in _NETWORK_CLIENTS and method in _NETWORK_METHODS:
            return Effect("network", line, resolved)
        if resolved.endswith(".execute") and root in _DATABASE_MODULES:
            return Effect("sql", line, resolved)
        return None

    def _sql(self, node: ast.Call, dotted: str) -> Effect | None:
        receiver = dotted.rpartition(".")[0]
        first = node.args[0] if node.args else None
        sql_text = _string_value(first) if first is not None else None
        if sql_text is not None and _SQL_TEXT.match(sql_text):
            return Effect("sql", node.lineno, f'{dotted}("{_short(sql_text)}")')
        if _DATABASE_RECEIVER.search(receiver) and (self.uses_database or first is not None):
            return Effect("sql", node.lineno, dotted)
        return None

    def raise_(self, node: ast.Raise) -> Effect | None:
        """``raise PermissionError(...)``, ``raise Forbidden``, ``raise HTTPException(403)``."""
        if node.exc is None:
            return None
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        dotted = dotted_name(target)
        if dotted is None:
            return None
        if _DENIAL_EXCEPTIONS.search(dotted):
            return Effect("credentials", node.lineno, f"raise {dotted}")
        if isinstance(node.exc, ast.Call) and _denial_status(node.exc):
            return Effect(
                "credentials", node.lineno, f"raise {dotted} ({_denial_status(node.exc)})"
            )
        return None

    def decorator(self, node: ast.expr) -> Effect | None:
        """``@login_required``, ``@permission_required("x")``, ``@user_passes_test(...)``."""
        target = node.func if isinstance(node, ast.Call) else node
        dotted = dotted_name(target)
        if dotted is None:
            return None
        resolved = self.resolve(dotted, None) or dotted
        if _GUARD_DECORATOR.search(resolved):
            return Effect("credentials", node.lineno, f"@{dotted}")
        return None

    def compare(self, node: ast.Compare) -> Effect | None:
        """``==``/``!=`` on a password, a secret or a token: a credential compared (in a lexer
        or parser, ``token`` is a token of the language, not a credential)."""
        if not any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops):
            return None
        sides = [node.left, *node.comparators]
        if any(
            isinstance(s, ast.Constant) and (s.value is None or isinstance(s.value, (bool, int)))
            for s in sides
        ):
            return None
        for side in sides:
            name = dotted_name(side)
            if name is None:
                continue
            last = name.rpartition(".")[2]
            words = _words(last)
            credential = [w for w in words if w in CREDENTIAL_WORDS]
            if not credential:
                continue
            ambiguous = all(w in _AMBIGUOUS_CREDENTIAL_WORDS for w in credential)
            if ambiguous and (self.lexical or _NOT_CREDENTIAL_QUALIFIERS.intersection(words)):
                continue
            # ``token == T.Keyword``: a token compared with a constant of the language
            others = [s for s in sides if s is not side]
            if any(_is_constant_name(o) for o in others):
                continue
            return Effect("credentials", node.lineno, f"{name} {_op(node)} …")
        return None

    def binop(self, node: ast.BinOp) -> Effect | None:
        """Arithmetic with a ``Decimal``: money."""
        if not isinstance(node.op, _ARITHMETIC):
            return None
        for side in (node.left, node.right):
            if isinstance(side, ast.Call):
                name = dotted_name(side.func)
                if name is not None and (
                    name in self.decimal_names or self.resolve(name, None) == "decimal.Decimal"
                ):
                    return Effect("money", node.lineno, "Decimal arithmetic")
        return None


def _op(node: ast.Compare) -> str:
    return "==" if any(isinstance(op, ast.Eq) for op in node.ops) else "!="


def _is_constant_name(node: ast.AST) -> bool:
    """``T.Keyword``, ``tokens.NAME``, ``Token.Text``: a named constant, by its capitals."""
    name = dotted_name(node)
    if name is None:
        return isinstance(node, ast.Constant) and not isinstance(node.value, (str, bytes))
    last = name.rpartition(".")[2]
    return "." in name and (last[:1].isupper())


def _string_value(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    if isinstance(node, ast.Call) and node.args:  # text("SELECT …"), sql.SQL("…")
        return _string_value(node.args[0])
    return None


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _keyword_true(node: ast.Call, name: str) -> bool:
    return any(
        k.arg == name and not (isinstance(k.value, ast.Constant) and not k.value.value)
        for k in node.keywords
    )


def _safe_yaml(node: ast.Call) -> bool:
    loader: ast.AST | None = next((k.value for k in node.keywords if k.arg == "Loader"), None)
    if loader is None and len(node.args) > 1:
        loader = node.args[1]
    name = dotted_name(loader) if loader is not None else None
    return name is not None and name.endswith(_SAFE_YAML_LOADERS)


def _denial_status(node: ast.Call) -> int | None:
    values = [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("status_code", "code"))]
    for value in values:
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, int)
            and value.value in _DENIAL_STATUS
        ):
            return value.value
        name = dotted_name(value)
        if name is not None and re.search(r"(UNAUTHORI[SZ]ED|FORBIDDEN)$", name.upper()):
            return 401 if "UNAUTHORI" in name.upper() else 403
    return None


def is_lexical_module(path_words: tuple[str, ...]) -> bool:
    """A module path whose words name a lexer, parser, tokenizer or formatter."""
    return any(word in LEXICAL_WORDS for word in path_words)


def lexical_reason(imports: Mapping[str, str], token_functions: int, functions: int) -> str:
    """Why a module's code handles tokens of a language, from its content ("" when it does not):
    it imports a tokens or lexer module, or most of its functions handle tokens."""
    for target in imports.values():
        # The modules on the way, and the last name when it is a whole module's name:
        # ``sqlparse.tokens``, ``pygments.token.Token``, not ``secrets.token_hex``.
        *modules, last = target.split(".")
        module_words = {w for part in modules for w in _words(part)}
        if module_words & _TOKEN_MODULES or last in _TOKEN_MODULES:
            return f"it imports `{target}`"
    if functions >= TOKEN_HANDLING_MIN and token_functions >= TOKEN_HANDLING_SHARE * functions:
        return f"{token_functions} of its {functions} functions handle tokens"
    return ""


def token_identifier(name: str) -> bool:
    """An identifier of token handling: ``token``, ``tok``, ``ttype``, ``tokenlist``, ``lexer``."""
    return _TOKEN_IDENTIFIER.search(name.lower()) is not None


def effect_kinds() -> tuple[EffectKind, ...]:
    """Every kind, in the order reasons list them (most critical first)."""
    return ("credentials", "crypto", "deserialize", "sql", "money", "destructive", "network")
