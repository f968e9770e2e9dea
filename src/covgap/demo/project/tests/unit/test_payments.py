from __future__ import annotations

import pytest

from shopapp.payments import (
    UnsupportedCurrency,
    validate_currency,
)


def test_validate_currency() -> None:
    assert validate_currency(" gbp ") == "GBP"
    with pytest.raises(UnsupportedCurrency):
        validate_currency("XYZ")
