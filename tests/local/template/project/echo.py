"""A raw Lambda handler for the template tests: answers with what the event says about
the route, so a test sees what the emulator sent."""

import json
import os


def handler(event, context):
    if "boom" in event:
        raise ValueError("boom requested")
    if "requestContext" not in event:
        return {"echo": event, "greeting": os.environ.get("GREETING")}
    context_ = event["requestContext"]
    body = {
        "version": event.get("version"),
        "routeKey": event.get("routeKey"),
        "resource": event.get("resource"),
        "stage": context_.get("stage"),
        "pathParameters": event.get("pathParameters"),
        "authorizer": context_.get("authorizer"),
        "environment": {
            name: os.environ.get(name)
            for name in ("GREETING", "SHARED", "TABLE", "TABLE_ARN", "SECRET", "QUEUE_URL")
        },
        "memory": os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        "cwd": os.getcwd(),
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "set-cookie": "session=s3cret"},
        "body": json.dumps(body),
    }
