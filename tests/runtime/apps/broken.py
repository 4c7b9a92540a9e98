"""A module whose import fails: an init error for both runtimes."""

raise RuntimeError("the configuration is missing")
