from __future__ import annotations

import pytest

from shopapp.ratelimit import Decision, SlidingWindowLimiter, TokenBucket


def test_token_bucket_refills_over_time(clock) -> None:
    bucket = TokenBucket(capacity=3, rate=1.0, clock=clock)
    assert all(bucket.consume().allowed for _ in range(3))
    denied = bucket.consume()
    assert not denied.allowed
    assert denied.retry_after == pytest.approx(1.0)

    clock.advance(2)
    assert bucket.tokens == pytest.approx(2)
    assert bucket.consume(2).allowed


def test_token_bucket_validates_arguments(clock) -> None:
    with pytest.raises(ValueError):
        TokenBucket(0, 1.0, clock=clock)
    with pytest.raises(ValueError):
        TokenBucket(1, 1.0, clock=clock).consume(5)


def test_sliding_window(clock) -> None:
    limiter = SlidingWindowLimiter(limit=2, window=10, clock=clock)
    assert limiter.hit("a").remaining == 1
    assert limiter.hit("a").allowed
    blocked = limiter.hit("a")
    assert not blocked.allowed
    assert blocked.retry_after == pytest.approx(10)
    assert limiter.hit("b").allowed

    clock.advance(10)
    assert limiter.hit("a").allowed


def test_decision_headers() -> None:
    assert Decision(True, 4).headers() == {"X-RateLimit-Remaining": "4"}
    denied = Decision(False, 0, retry_after=2.4).headers()
    assert denied["Retry-After"] == "2"
