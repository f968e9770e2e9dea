"""The ranking benchmark's parts: projects, measuring, the oracle, the simulation, the report.

``benchmarks/bench_ranking.py`` is the entry point; docs/benchmarks.md says what it measures.
"""
