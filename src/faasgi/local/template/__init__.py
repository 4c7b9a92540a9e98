"""`faasgi serve --template FILE`: a SAM template or a Serverless Devs `s.yaml`, read into
the emulator's model (model.py) and run with one instance pool per function (run.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from faasgi.local.template.model import Project
from faasgi.local.template.sam import TemplateError, parse_yaml, read_sam


def load_project(
    path: str,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    region: str = "us-east-1",
) -> Project:
    """The project a template describes; TemplateError (one line) when it cannot be read."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise TemplateError(f"cannot read {path}: {error.strerror}") from None
    document = parse_yaml(text)
    if not isinstance(document, dict):
        raise TemplateError(f"{path}: not a SAM template or an s.yaml")
    if "edition" in document or (
        isinstance(document.get("resources"), dict) and "Resources" not in document
    ):
        from faasgi.local.template.fc import read_fc

        try:
            return read_fc(file.resolve(), document, os.environ if environ is None else environ)
        except ValueError as error:
            raise TemplateError(f"{path}: {error}") from None
    return read_sam(file.resolve(), document, dict(overrides or {}), region)


__all__ = ["Project", "TemplateError", "load_project"]
