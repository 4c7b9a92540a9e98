"""The SAM kit runs the todo list on faasgi's runtime with a streaming Function URL; what
CloudFormation gets is read from aws-sam-translator's own translation of the template."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faasgi.runtime.scripts import WRAPPER

yaml = pytest.importorskip("yaml")
transform = pytest.importorskip("samtranslator.translator.transform")

TEMPLATE = Path(__file__).resolve().parents[2] / "adapters" / "aws-lambda" / "template.yaml"


class _Loader(yaml.SafeLoader):
    """CloudFormation's short tags as the long forms samtranslator reads."""


def _intrinsic(loader: Any, suffix: str, node: Any) -> Any:
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_Loader.add_multi_constructor("!", _intrinsic)


class _NoPolicies:
    def load(self) -> dict[str, str]:
        return {}


def translated(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # read for the ARNs it builds
    template = yaml.load(TEMPLATE.read_text(), Loader=_Loader)
    # The zips' local paths are what `sam deploy` uploads; the translator wants S3 forms.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/function.zip"
    result: dict[str, Any] = transform.transform(template, {}, _NoPolicies())  # type: ignore[arg-type]
    return result["Resources"]


def test_the_function_runs_faasgis_runtime_and_streams_its_function_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resources = translated(monkeypatch)
    function = resources["TodoFunction"]["Properties"]
    variables = function["Environment"]["Variables"]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == f"/var/task/{WRAPPER}"
    assert variables["FAASGI_INVOKE_MODE"] == "RESPONSE_STREAM"
    urls = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Url"]
    assert len(urls) == 1
    assert urls[0]["Properties"]["InvokeMode"] == "RESPONSE_STREAM"
    assert urls[0]["Properties"]["AuthType"] == "NONE"
