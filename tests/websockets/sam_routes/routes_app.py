"""Plain Lambda handlers behind tests/websockets/sam_routes/template.yaml: each message is
answered through the management API with the function that ran it and its routeKey."""

from __future__ import annotations

import os
from typing import Any

import boto3

_USERS: dict[str, str] = {}
#: What a post_to_connection made during $connect got, per connection.
_CONNECT_POST: dict[str, str] = {}


def _post(event: dict[str, Any], text: str) -> None:
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=os.environ["AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI"],
        region_name="us-east-1",
    )
    client.post_to_connection(
        ConnectionId=event["requestContext"]["connectionId"], Data=text.encode()
    )


def chat(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    if request["eventType"] == "CONNECT":
        _USERS[request["connectionId"]] = request["authorizer"]["user"]
        try:
            _post(event, "welcome")  # API Gateway: GoneException, the connection is not open
            _CONNECT_POST[request["connectionId"]] = "delivered"
        except client_error() as error:
            _CONNECT_POST[request["connectionId"]] = error.response["Error"]["Code"]
    elif request["eventType"] == "MESSAGE":
        user = _USERS.get(request["connectionId"], "?")
        posted = _CONNECT_POST.get(request["connectionId"])
        _post(event, f"chat {request['routeKey']} {user} ({posted}): {event['body']}")
    return {"statusCode": 200}


def client_error() -> type[Exception]:
    from botocore.exceptions import ClientError

    return ClientError


def shout(event: dict[str, Any], context: Any) -> dict[str, Any]:
    _post(event, f"shout {event['requestContext']['routeKey']}: {event['body'].upper()}")
    return {"statusCode": 200}


def authorize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event["queryStringParameters"].get("token") != "letmein":
        raise Exception("Unauthorized")
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
    return {
        "principalId": "ann",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"user": "ann"},
    }
