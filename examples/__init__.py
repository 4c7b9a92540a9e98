"""faasgi's examples. A regular package (not a namespace package): Alibaba FC's Python
runtime finds handler modules one `__init__.py` at a time."""
