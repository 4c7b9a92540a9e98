"""Fails at import, as a module with a typo in its init code does."""

raise ImportError("no module named 'flaskk'")
