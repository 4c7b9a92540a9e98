"""A plain handler for the async tests: logs every call (request id, event) to CALLS_LOG,
then does what the event says: fail, fail on the first attempt, sleep, crash, or answer."""

import json
import os
import time


def handler(event, context):
    request_id = getattr(context, "aws_request_id", None) or context.request_id
    if isinstance(event, (bytes, str)):
        event = json.loads(event)
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(json.dumps({"id": request_id, "event": event, "at": time.time()}) + "\n")
    mode = event.get("mode") if isinstance(event, dict) else None
    if mode == "env":
        return {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", "AWS_REGION")}
    if mode == "sleep":
        time.sleep(float(event["seconds"]))
    elif mode == "fail":
        raise RuntimeError("failed on purpose")
    elif mode == "crash":
        os._exit(3)
    elif mode == "fail-first":
        with open(os.environ["CALLS_LOG"]) as log:
            seen = sum(1 for line in log if json.loads(line)["id"] == request_id)
        if seen == 1:
            raise RuntimeError("first attempt fails")
    return {"ok": True, "event": event}
