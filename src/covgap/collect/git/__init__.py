"""The project's git history: what changed since a base, how often each function changed."""
