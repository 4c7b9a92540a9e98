"""Reading Serverless Devs s.yaml (fc3 component): properties as devsapp/fc3's
src/interface/function.ts and trigger.ts name them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("yaml")
pytest.importorskip("samtranslator")

from faasgi.local.template import load_project
from faasgi.local.template.model import AsyncConfig, Schedule

ROOT = Path(__file__).parents[3]


def test_the_todo_lists_s_yaml_runs_its_source_with_its_hooks() -> None:
    project = load_project(str(ROOT / "adapters/alibaba-fc/s.yaml"), environ={"TODO_TABLE": "t"})
    function = project.functions["faasgi-todolist"]
    assert function.platform == "fc"
    assert function.code_dir == str(ROOT)  # ../../dist/todolist-fc.zip, faasgi's own
    assert function.handler == "examples.todolist.flask_app:handler"
    assert function.initializer == "examples.todolist.flask_app:initializer"
    assert function.pre_stop == "examples.todolist.flask_app:pre_stop"
    assert (function.timeout, function.memory) == (30, 512)
    assert {r.method for r in function.routes} == {
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
    }
    # ${env('TODO_TABLE', 'faasgi-todos')}: the environment first, then the default.
    assert function.environment["TODO_TABLE"] == "t"
    assert function.environment["SESSION_TABLE"] == "faasgi-sessions"
    # ${env('FAASGI_SESSION_SECRET')} with nothing set: generated, and said so.
    assert len(function.environment["FAASGI_SESSION_SECRET"]) >= 32
    assert any("FAASGI_SESSION_SECRET" in note for note in project.notes)
    assert any("pre-deploy" in note for note in project.notes)  # never run


def test_variables_timers_and_async_config(write: Callable[[str, str], Path]) -> None:
    write("code/index.py", "def handler(event, context):\n    return 'ok'\n")
    path = write(
        "s.yaml",
        """
edition: 3.0.0
name: demo
vars:
  region: cn-hangzhou
  name: demo-fn
resources:
  demo:
    component: fc3
    props:
      region: ${vars.region}
      functionName: ${vars.name}
      runtime: python3.10
      code: ./code
      handler: index.handler
      instanceConcurrency: 4
      environmentVariables:
        REGION: ${vars.region}
        FROM_ENV: ${env(HOME_DIR)}
        OTHER: ${config('AccessKeyID')}
      triggers:
        - triggerName: every-minute
          triggerType: timer
          triggerConfig: {cronExpression: "0 * * * * *", enable: false, payload: "tick"}
        - triggerName: oss
          triggerType: oss
      asyncInvokeConfig:
        maxAsyncRetryAttempts: 2
        maxAsyncEventAgeInSeconds: 300
        destinationConfig:
          onFailure: {destination: "acs:mns:cn-hangzhou::/queues/failed/messages"}
  site:
    component: fc3-domain
""",
    )
    project = load_project(str(path), environ={"HOME_DIR": "/home/me"})
    function = project.functions["demo-fn"]
    assert function.concurrency == 4
    assert function.environment["REGION"] == "cn-hangzhou"
    assert function.environment["FROM_ENV"] == "/home/me"
    assert function.schedules == [
        Schedule("every-minute", "fc-timer", "0 * * * * *", "tick", False)
    ]
    assert function.async_config == AsyncConfig(
        2, 300, None, "acs:mns:cn-hangzhou::/queues/failed/messages"
    )
    joined = "\n".join(project.not_emulated)
    assert "${config('AccessKeyID')}" in joined
    assert "oss triggers" in joined
    assert "component fc3-domain" in joined
