"""Application settings, read from ``SHOPAPP_*`` environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "SHOPAPP_"
DEFAULT_SECRET = "dev-secret-change-me"

_TRUE_VALUES = frozenset({"1", "true", "yes", "on"})
_FALSE_VALUES = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """Raised when an environment variable holds an unusable value."""


def _env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(PREFIX + name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE_VALUES:
        return True
    if value in _FALSE_VALUES:
        return False
    raise ConfigError(f"{PREFIX}{name} must be a boolean, got {raw!r}")


def _env_int(
    env: Mapping[str, str], name: str, default: int, *, minimum: int | None = None
) -> int:
    raw = env.get(PREFIX + name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    """Runtime configuration of the shop service."""

    host: str = "127.0.0.1"
    port: int = 8080
    debug: bool = False
    database_path: str = ":memory:"
    secret_key: str = DEFAULT_SECRET
    session_ttl: int = 3600
    max_login_attempts: int = 5
    lockout_seconds: int = 300
    rate_limit_per_minute: int = 120
    cache_url: str | None = None
    gateway_url: str = "https://payments.example.invalid/v2"
    gateway_timeout: int = 5

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``environ`` (defaults to ``os.environ``)."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            host=env.get(PREFIX + "HOST", defaults.host),
            port=_env_int(env, "PORT", defaults.port, minimum=0),
            debug=_env_bool(env, "DEBUG", defaults.debug),
            database_path=env.get(PREFIX + "DATABASE", defaults.database_path),
            secret_key=env.get(PREFIX + "SECRET_KEY", defaults.secret_key),
            session_ttl=_env_int(env, "SESSION_TTL", defaults.session_ttl, minimum=1),
            max_login_attempts=_env_int(
                env, "MAX_LOGIN_ATTEMPTS", defaults.max_login_attempts, minimum=1
            ),
            lockout_seconds=_env_int(
                env, "LOCKOUT_SECONDS", defaults.lockout_seconds, minimum=0
            ),
            rate_limit_per_minute=_env_int(
                env, "RATE_LIMIT", defaults.rate_limit_per_minute, minimum=1
            ),
            cache_url=env.get(PREFIX + "CACHE_URL") or None,
            gateway_url=env.get(PREFIX + "GATEWAY_URL", defaults.gateway_url),
            gateway_timeout=_env_int(
                env, "GATEWAY_TIMEOUT", defaults.gateway_timeout, minimum=1
            ),
        )

    def problems(self) -> list[str]:
        """Return human readable warnings about risky settings."""
        found: list[str] = []
        if self.secret_key == DEFAULT_SECRET and not self.debug:
            found.append("SECRET_KEY is the development default")
        if self.debug and self.host not in ("127.0.0.1", "localhost"):
            found.append("DEBUG is enabled on a public interface")
        return found

    def cache_address(self) -> tuple[str, int] | None:
        """Parse ``cache_url`` (``kv://host:port``) into an address tuple."""
        if not self.cache_url:
            return None
        url = self.cache_url.removeprefix("kv://")
        host, sep, port = url.rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"invalid cache URL {self.cache_url!r}")
        return host or "127.0.0.1", int(port)
