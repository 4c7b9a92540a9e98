"""An s.yaml's FC instance lifecycle hooks under `faasgi serve --template`: the
`initializer` runs once per instance before its first invocation, `preStop` when the
instance is stopped (FC: https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/function-instance-lifecycle)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

pytest.importorskip("yaml")
pytest.importorskip("samtranslator")

from faasgi.testing.emulator import Emulator

pytestmark = pytest.mark.slow

APP = """
import json
import os
from pathlib import Path

LOG = Path(os.environ["HOOK_LOG"])


def initializer(context):
    with LOG.open("a") as log:
        log.write("initializer\\n")


def pre_stop(context):
    with LOG.open("a") as log:
        log.write("preStop\\n")


def handler(event, context):
    with LOG.open("a") as log:
        log.write("invoke\\n")
    request = json.loads(event)
    body = json.dumps({"path": request["rawPath"], "function": os.environ["FC_FUNCTION_NAME"]})
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": body}
"""

S_YAML = """
edition: 3.0.0
name: hooks
resources:
  hooks:
    component: fc3
    props:
      functionName: hooks-fn
      runtime: python3.10
      code: ./code
      handler: index.handler
      environmentVariables:
        HOOK_LOG: ${env('HOOK_LOG')}
      instanceLifecycleConfig:
        initializer: {handler: index.initializer, timeout: 10}
        preStop: {handler: index.pre_stop, timeout: 10}
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: {authType: anonymous, methods: [GET]}
"""


def test_initializer_before_the_first_invocation_and_pre_stop_at_the_end(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "index.py").write_text(APP)
    (tmp_path / "s.yaml").write_text(S_YAML)
    log = tmp_path / "hooks.log"
    emulator = Emulator(
        f"--template={tmp_path / 's.yaml'}",
        "--invoke-port",
        "0",
        "--no-dynamodb",
        cwd=str(tmp_path),
        env={"HOOK_LOG": str(log)},
    )
    emulator.start()
    try:
        for _ in range(2):
            answer = httpx.get(emulator.url + "/x", timeout=30)
            assert answer.status_code == 200
            assert answer.json() == {"path": "/x", "function": "hooks-fn"}
        # A method the trigger does not list reaches no function.
        assert httpx.post(emulator.url + "/x", timeout=30).status_code == 404
    finally:
        emulator.stop()
    assert log.read_text().splitlines() == ["initializer", "invoke", "invoke", "preStop"]
