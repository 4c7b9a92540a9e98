"""An FC HTTP trigger function for the async tests: logs each event to CALLS_LOG."""

import json
import os


def handler(event, context):
    event = json.loads(event)
    with open(os.environ["CALLS_LOG"], "a") as log:
        log.write(json.dumps({"id": context.request_id, "event": event}) + "\n")
    return {"statusCode": 200, "body": "ran now"}
