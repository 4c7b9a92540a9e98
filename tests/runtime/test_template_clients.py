"""`faasgi serve --template FILE --runtime-client awslambdaric|faasgi`: every Lambda
function of the template runs in instances where that runtime client serves it against the
instance's own local Runtime API, with the template's environment, timeout and memory, and
the context values Lambda's runtime builds from them
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html): awslambdaric's
own context object is the oracle."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("samtranslator")
pytest.importorskip("awslambdaric")  # in the dev extra only

from faasgi.testing.emulator import Emulator
from tests.runtime.conftest import APPS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
CLIENTS = ("awslambdaric", "faasgi")
#: Lambda's log stream names: YYYY/MM/DD/[version]<execution environment id>
#: (https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html).
LOG_STREAM = re.compile(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}")

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 7
Resources:
  ContextFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: context-reader
      CodeUri: {code}
      Handler: context_app.handler
      MemorySize: 256
      Environment:
        Variables:
          GREETING: from the template
"""


@pytest.mark.parametrize("client", CLIENTS)
def test_each_function_gets_its_settings_and_lambdas_context(tmp_path: Path, client: str) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE.format(code=APPS))
    options = ["--runtime-client", client, "--invoke-port", "0", "--no-dynamodb"]
    with Emulator(f"--template={template}", *options, cwd=str(tmp_path)) as emulator:
        invoke_url = emulator.wait_for(r"invoke     (http://\S+)").group(1)
        path = "/2015-03-31/functions/context-reader/invocations"
        answer = httpx.post(invoke_url + path, json={}, timeout=60)
    assert answer.status_code == 200, answer.text
    seen = answer.json()
    if client == "awslambdaric":  # AWS's own runtime built the context object
        assert seen["context_class"] == "awslambdaric.lambda_context.LambdaContext"
    assert seen["function_name"] == "context-reader"
    assert seen["memory_limit_in_mb"] == "256"
    assert seen["function_version"] == "$LATEST"
    assert seen["invoked_function_arn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:context-reader"
    )
    assert seen["log_group_name"] == "/aws/lambda/context-reader"
    assert LOG_STREAM.fullmatch(seen["log_stream_name"]), seen["log_stream_name"]
    assert 0 < seen["remaining_ms"] <= 7000  # the template's Timeout, not the default
    assert seen["greeting"] == "from the template"
    assert seen["region"] == "us-east-1"


def runtime_libraries(instance_pid: int) -> str:
    """The files mapped into an instance process's children (Linux /proc)."""
    mapped = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == instance_pid:
                mapped.append((entry / "maps").read_text())
        except (OSError, IndexError, ValueError):
            continue
    return "".join(mapped)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_todo_lists_sam_template_serves_its_api_through_awslambdaric() -> None:
    from tests.todolist.scenario import assert_scenario_passed, personal, request_options

    # The command docs/templates.md shows, as shown (plus a free Invoke API port).
    shown = (
        "faasgi serve --template adapters/aws-lambda/template.yaml --runtime-client awslambdaric"
    )
    assert f"$ {shown}\n" in (ROOT / "docs" / "templates.md").read_text()
    arguments = shown.split()[2:]
    template = f"--template={arguments[1]}"
    with (
        Emulator(template, *arguments[2:], "--invoke-port", "0", cwd=str(ROOT)) as emulator,
        httpx.Client(base_url=emulator.url, timeout=60) as browser,
    ):
        answers = [
            browser.request(step["method"], step["path"], **request_options(step))
            for step in personal()
        ]
        # Every answer came from one instance, whose runtime process runs awslambdaric:
        # its C extension (runtime_client, AWS's Runtime API client) is loaded there.
        instances = {answer.headers["x-faasgi-instance"] for answer in answers}
        assert len(instances) == 1
        pid = emulator.instance_pids()[instances.pop()]
        assert "/runtime_client.cpython" in runtime_libraries(pid)
    assert_scenario_passed(answers)
    # The banner says what runs the function, not faasgi's worker.
    wrapper = [line for line in emulator.lines() if "TodoFunction: AWS_LAMBDA_EXEC_WRAPPER" in line]
    assert len(wrapper) == 1 and "runs awslambdaric without it" in wrapper[0]
