"""Building a deployment zip for AWS Lambda or Alibaba FC: which files go in (project,
vendored faasgi, dependencies installed for the target), how they are written so the same
inputs give the same bytes, what the manifest says, and the checks run before upload.

`faasgi.package` is the command; the modules here never print and never exit.
"""

from __future__ import annotations

from faasgi.errors import FaasgiError


class PackageError(FaasgiError):
    """The package could not be built or failed a check; the message says what to change."""


__all__ = ["PackageError"]
