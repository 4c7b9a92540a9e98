"""Answers with the event it got (REST proxy format) and prints what it is asked to."""

import json


def handler(event, context):
    for line in event.get("print", []):
        print(line)
    if "print" in event:
        return {"printed": len(event["print"])}
    body = {
        "path": event["path"],
        "resource": event["resource"],
        "pathParameters": event["pathParameters"],
        "stage": event["requestContext"]["stage"],
        "contextPath": event["requestContext"]["path"],
    }
    return {"statusCode": 200, "body": json.dumps(body)}
