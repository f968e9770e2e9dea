"""``covgap draft``: tests for planned functions from engines, kept only when they earn it."""
