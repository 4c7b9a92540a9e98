"""The `context` faasgi.runtime passes to a handler: the attributes and methods of the one
AWS's Python runtime (awslambdaric's `LambdaContext`) passes, with the same types — values
from the function's environment and the `/next` headers (runtimes-api.html), so handler code
written for the managed runtime runs unchanged.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


class ContextError(Exception):
    """A `/next` header that should hold JSON does not (awslambdaric:
    Runtime.LambdaContextUnmarshalError)."""


class CognitoIdentity:
    __slots__ = ("cognito_identity_id", "cognito_identity_pool_id")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.cognito_identity_id = fields.get("cognitoIdentityId")
        self.cognito_identity_pool_id = fields.get("cognitoIdentityPoolId")


class Client:
    __slots__ = (
        "app_package_name",
        "app_title",
        "app_version_code",
        "app_version_name",
        "installation_id",
    )

    def __init__(self, fields: dict[str, Any]) -> None:
        for name in self.__slots__:
            setattr(self, name, fields.get(name))


class ClientContext:
    __slots__ = ("client", "custom", "env")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.custom = fields.get("custom")
        self.env = fields.get("env")
        client = fields.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


def _json_header(value: str | None, name: str) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as error:
        raise ContextError(f"Unable to parse {name} JSON: {error}") from None


class LambdaContext:
    """What `handler(event, context)` gets as `context` on Lambda."""

    def __init__(
        self,
        request_id: str,
        deadline_ms: str | None,
        invoked_function_arn: str | None,
        client_context: str | None = None,
        cognito_identity: str | None = None,
        tenant_id: str | None = None,
    ) -> None:
        environ = os.environ
        self.aws_request_id = request_id
        self.log_group_name = environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = environ.get("AWS_LAMBDA_FUNCTION_NAME")
        # A string, as awslambdaric gives it (it reads the variable as is).
        self.memory_limit_in_mb = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.tenant_id = tenant_id
        context = _json_header(client_context, "Client Context")
        self.client_context = ClientContext(context) if isinstance(context, dict) else None
        identity = _json_header(cognito_identity, "Cognito Identity")
        self.identity = CognitoIdentity(identity if isinstance(identity, dict) else {})
        # awslambdaric parses the header with strtoul: absent or bad means epoch 0.
        self._deadline_ms = int(deadline_ms) if deadline_ms and deadline_ms.isdigit() else 0

    def get_remaining_time_in_millis(self) -> int:
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))

    def __repr__(self) -> str:
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},"
            f"function_name={self.function_name},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )
