"""The code-package size limits of each platform, with their sources, and the check of a
built zip against them. Never changes the package.

AWS Lambda (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
50 MB zipped for a direct upload (API, SDK, console); 250 MB unzipped including layers,
which the API reports as "Unzipped size must be smaller than 262144000 bytes".
Alibaba FC 3.0 (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/limits-of-usage):
500 MB for a zip uploaded through the console, a developer tool (Serverless Devs) or OSS;
100 MB for a base64-encoded zip sent through an SDK or the API. No unzipped limit is
documented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MB = 1024 * 1024

AWS_SOURCE = "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"
FC_SOURCE = (
    "https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/limits-of-usage"
)


@dataclass(slots=True, frozen=True)
class Limit:
    """One documented size limit."""

    platform: str
    #: "zipped" (the zip file) or "unzipped" (the files in it).
    measure: str
    size: int
    applies_to: str
    source: str
    #: A blocking limit fails the build; the others only warn.
    blocking: bool = True
    hint: str = ""


LIMITS: tuple[Limit, ...] = (
    Limit(
        "aws",
        "zipped",
        50 * MB,
        "a direct upload through the Lambda API, SDKs or console",
        AWS_SOURCE,
        hint="sam deploy uploads through S3, where only the unzipped limit applies: pass "
        "--max-zipped-mb 250 to build for that. Or move large dependencies to a layer.",
    ),
    Limit(
        "aws",
        "unzipped",
        250 * MB,
        "the function's code and all its layers, unzipped",
        AWS_SOURCE,
        hint="Remove dependencies the function does not import, or deploy a container "
        "image (up to 10 GB).",
    ),
    Limit(
        "fc",
        "zipped",
        500 * MB,
        "a zip uploaded through the console, a developer tool such as Serverless Devs, or OSS",
        FC_SOURCE,
        hint="Move large dependencies to a layer, or deploy a custom container image.",
    ),
    Limit(
        "fc",
        "zipped",
        100 * MB,
        "a base64-encoded zip sent through an SDK or the API",
        FC_SOURCE,
        blocking=False,
        hint="Deploy with Serverless Devs (s deploy) or through OSS instead.",
    ),
)

NAMES = {"aws": "AWS Lambda", "fc": "Alibaba Cloud Function Compute"}


@dataclass(slots=True, frozen=True)
class Violation:
    limit: Limit
    actual: int

    @property
    def message(self) -> str:
        """The documented message: "package too large: ..." for a blocking limit."""
        limit = self.limit
        lead = "package too large" if limit.blocking else "warning"
        actual = f"{lead}: {megabytes(self.actual)} {limit.measure}"
        if not limit.source:  # a limit given on the command line
            return f"{actual}, over the limit of {megabytes(limit.size)} {limit.applies_to}."
        text = (
            f"{actual}, over {NAMES[limit.platform]}'s limit of {megabytes(limit.size)} for "
            f"{limit.applies_to} ({limit.source})."
        )
        return text + (" " + limit.hint if limit.hint else "")


def limits_for(
    platform: str, *, max_zipped: int | None = None, max_unzipped: int | None = None
) -> list[Limit]:
    """The platform's limits; `max_zipped` / `max_unzipped` replace the blocking ones."""
    chosen = []
    for limit in LIMITS:
        if limit.platform != platform:
            continue
        override = max_zipped if limit.measure == "zipped" else max_unzipped
        if override is not None:
            if not limit.blocking:
                continue
            limit = Limit(
                limit.platform, limit.measure, override, f"set with --max-{limit.measure}-mb", ""
            )
        chosen.append(limit)
    if max_unzipped is not None and not any(limit.measure == "unzipped" for limit in chosen):
        chosen.append(Limit(platform, "unzipped", max_unzipped, "set with --max-unzipped-mb", ""))
    return chosen


def check(limits: Sequence[Limit], *, zipped: int, unzipped: int) -> list[Violation]:
    """Every limit the sizes exceed, blocking ones first."""
    found = []
    for limit in limits:
        actual = zipped if limit.measure == "zipped" else unzipped
        if actual > limit.size:
            found.append(Violation(limit, actual))
    return sorted(found, key=lambda violation: not violation.limit.blocking)


def megabytes(size: int) -> str:
    """1.5 MB, 0.02 MB: sizes in MiB (what the platforms call MB)."""
    value = size / MB
    return f"{value:.1f} MB" if value >= 0.1 else f"{value:.2f} MB"


__all__ = ["LIMITS", "MB", "Limit", "Violation", "check", "limits_for", "megabytes"]
