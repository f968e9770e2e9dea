"""The test suite: its run under coverage (the pytest plugin, its events, JUnit), and what its
modules hold, read without running them."""
