from __future__ import annotations

from shopapp.cache import MemoryCache


def test_memory_cache_expiry(clock) -> None:
    cache = MemoryCache(clock=clock)
    cache.set("greeting", "hello", ttl=5)
    assert cache.get("greeting") == "hello"
    clock.advance(5)
    assert cache.get("greeting") is None
