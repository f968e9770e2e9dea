"""What covgap keeps between runs: the history, the baseline, the cache, the assessments."""
