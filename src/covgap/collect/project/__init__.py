"""The project's set-up as an audit reads it: CI definitions and their shell, pytest's and
coverage.py's settings, the code and docs scanned as text."""
