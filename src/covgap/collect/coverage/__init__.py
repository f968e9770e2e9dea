"""Coverage data in every form users have (coverage.py's data file and JSON, Cobertura, LCOV),
and coverage.py's own regions and static analysis."""
