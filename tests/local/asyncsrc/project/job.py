"""A scheduled job for the template tests: logs each event to CALLS_LOG; fails when the
event (or its Input) says so."""

import json
import os


def handler(event, context):
    if isinstance(event, (bytes, str)):
        event = json.loads(event)
    request_id = getattr(context, "aws_request_id", None) or context.request_id
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(json.dumps({"id": request_id, "event": event}) + "\n")
    if isinstance(event, dict) and (event.get("fail") or event.get("payload") == "fail"):
        raise RuntimeError("failed on purpose")
    return {"done": True}
