"""The draft benchmark's parts: projects, set-up, the independent checks, the report.

``benchmarks/bench_draft.py`` is the entry point; docs/benchmarks.md says what it measures.
"""
