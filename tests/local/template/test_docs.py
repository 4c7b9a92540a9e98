"""docs/templates.md does what it says: each console command it shows runs (the serve
commands as child processes, whose banner must read as shown), and the AWS CLI and replay
commands against them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

pytest.importorskip("samtranslator")

from faasgi.testing.emulator import Emulator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[3]
DOC = (ROOT / "docs" / "templates.md").read_text()
FAASGI = [sys.executable, "-c", "from faasgi.cli import run; run()"]
_PORT = re.compile(r"127\.0\.0\.1:\d+")


def console_commands() -> list[str]:
    found = []
    for block in re.findall(r"^```console\n(.*?)^```", DOC, flags=re.S | re.M):
        found += re.findall(r"^\$ (.*)$", block, flags=re.M)
    return found


def shown_banner() -> list[str]:
    block = re.search(r"^```text\n(faasgi serve: listening.*?)^```", DOC, flags=re.S | re.M)
    assert block is not None
    return block.group(1).splitlines()


def normalised(line: str) -> str:
    line = line.replace(str(ROOT), "/home/me/faasgi")
    return _PORT.sub("127.0.0.1:PORT", line)


def serve(command: str, *extra: str) -> Emulator:
    arguments = shlex.split(command)[2:]
    template = arguments[arguments.index("--template") + 1] if "--template" in arguments else None
    spec = f"--template={template}" if template else arguments[0]
    rest = [a for a in arguments if a not in ("--template", template, spec)]
    emulator = Emulator(spec, *rest, *extra, cwd=str(ROOT))
    emulator.start()
    return emulator


def test_every_command_is_one_this_test_runs() -> None:
    assert console_commands() == [
        "faasgi serve --template adapters/aws-lambda/template.yaml",
        "faasgi serve --template adapters/alibaba-fc/s.yaml",
        "aws lambda invoke --endpoint-url http://127.0.0.1:3001 --function-name TodoFunction "
        "--payload fileb://tests/fixtures/events/aws-powertools-lambda-python/"
        "apiGatewayProxyV2Event.json out.json",
        "faasgi serve examples.todolist.flask_app:handler --record recorded",
        "faasgi replay recorded --against examples.todolist.flask_app:handler",
        # Run by tests/runtime/test_template_clients.py (it needs awslambdaric, dev only).
        "faasgi serve --template adapters/aws-lambda/template.yaml --runtime-client awslambdaric",
    ]


def test_the_sam_template_serves_as_shown_and_the_aws_cli_invokes_it(tmp_path: Path) -> None:
    commands = console_commands()
    emulator = serve(commands[0], "--invoke-port", "0")
    try:
        # Every line shown is in the banner, in that order (ports differ per run).
        banner = iter(normalised(line) for line in emulator.lines())
        for line in shown_banner():
            assert normalised(line) in banner, line
        assert httpx.get(emulator.url + "/", timeout=30).status_code == 200
        # The template's tables exist in the local DynamoDB with their keys and TTL.
        import boto3

        endpoint = emulator.wait_for(r"DynamoDB   (http://\S+)").group(1)
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        for table in ("TodoTable", "SessionTable"):
            keys = dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
            assert {(k["AttributeName"], k["KeyType"]) for k in keys} == {
                ("pk", "HASH"),
                ("sk", "RANGE"),
            }
            ttl = dynamodb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
            assert ttl["AttributeName"] == "expires_at"
        if shutil.which("aws") is None:
            pytest.skip("the AWS CLI is not installed")
        invoke_url = emulator.wait_for(r"invoke     (http://\S+)").group(1)
        command = shlex.split(commands[2].replace("http://127.0.0.1:3001", invoke_url))
        command[-1] = str(tmp_path / "out.json")
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
        answer = json.loads((tmp_path / "out.json").read_text())
        assert "statusCode" in answer
    finally:
        emulator.stop()


def test_the_s_yaml_serves() -> None:
    emulator = serve(console_commands()[1], "--invoke-port", "0")
    try:
        assert "(Serverless Devs s.yaml (fc3))" in emulator.output
        assert httpx.get(emulator.url + "/", timeout=30).status_code == 200
    finally:
        emulator.stop()


def test_record_then_replay(tmp_path: Path) -> None:
    commands = console_commands()
    record = tmp_path / "recorded"
    emulator = serve(commands[3].replace("recorded", str(record)))
    try:
        assert httpx.get(emulator.url + "/", timeout=30).status_code == 200
        assert httpx.get(emulator.url + "/api/currentUser", timeout=30).status_code == 401
    finally:
        emulator.stop()
    replay = shlex.split(commands[4].replace("recorded", str(record)))[1:]
    environment = {**os.environ, "FAASGI_LOCAL": "1", "FAASGI_SESSION_SECRET": "x" * 32}
    done = subprocess.run(
        [*FAASGI, *replay], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 recorded answers, the same" in done.stdout
