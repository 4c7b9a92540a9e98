"""`faasgi serve --template --reload`: an edit in a function's code folder retires its
instances; the next request is a cold start on the new code."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytest.importorskip("samtranslator")

from faasgi.testing.emulator import Emulator

pytestmark = pytest.mark.slow

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: src
      Handler: hello.handler
      Events:
        Get: {Type: HttpApi, Properties: {Path: /, Method: GET}}
"""
CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'VERSION'}\n"


def test_an_edit_reaches_the_next_request(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    code = tmp_path / "src" / "hello.py"
    code.write_text(CODE.replace("VERSION", "one"))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    emulator = Emulator(
        f"--template={tmp_path / 'template.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        "--reload",
        cwd=str(tmp_path),
    )
    emulator.start()
    try:
        assert httpx.get(emulator.url + "/", timeout=30).text == "one"
        code.write_text(CODE.replace("VERSION", "two"))
        emulator.wait_for(r"reload: .*hello\.py changed", timeout=30)
        # The instances were retired before the line was logged.
        answer = httpx.get(emulator.url + "/", timeout=30)
        assert (answer.text, answer.headers["x-faasgi-cold"]) == ("two", "1")
    finally:
        emulator.stop()
