"""What Lambda tells a runtime about its function, for an emulator instance run by a Lambda
runtime client (`faasgi serve --runtime-client`): the reserved environment variables and the
ARN the Runtime API sends with each event. awslambdaric builds the context object from them
(`function_name`, `memory_limit_in_mb`, `function_version`, `log_group_name`,
`log_stream_name` from the variables; `invoked_function_arn` from the
`Lambda-Runtime-Invoked-Function-Arn` header), as faasgi.runtime does.

Sources: the reserved variables,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html ("Defined runtime
environment variables"); the log group `/aws/lambda/<function name>` and one log stream per
execution environment named `YYYY/MM/DD/[<version>]<environment id>`,
https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

#: The emulator's account in every ARN it makes (invoke_api.py, template intrinsics).
ACCOUNT = "123456789012"
#: The names faasgi's in-process worker gives a function that no template names
#: (faasgi.contexts.LambdaContext), so both ways of running it read alike.
DEFAULT_NAME = "faasgi-local"
DEFAULT_MEMORY_MB = 512


@dataclass(frozen=True)
class FunctionIdentity:
    name: str
    memory_mb: int
    version: str
    region: str
    log_group: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> FunctionIdentity:
        """The function's settings as `faasgi serve` (or its template) put them in the
        instance's environment; the in-process worker's defaults for what is not there."""
        name = environ.get("AWS_LAMBDA_FUNCTION_NAME") or DEFAULT_NAME
        memory = environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        return cls(
            name=name,
            memory_mb=int(memory) if memory.isdigit() else DEFAULT_MEMORY_MB,
            version=environ.get("AWS_LAMBDA_FUNCTION_VERSION") or "$LATEST",
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            log_group=environ.get("AWS_LAMBDA_LOG_GROUP_NAME") or f"/aws/lambda/{name}",
        )

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{self.name}"

    def environment(self, runtime_api: str, handler: str) -> dict[str, str]:
        """The reserved variables one execution environment (one instance) sees: its own
        log stream, named as Lambda names them."""
        day = time.strftime("%Y/%m/%d", time.gmtime())
        return {
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "_HANDLER": handler,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(self.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": self.version,
            "AWS_LAMBDA_LOG_GROUP_NAME": self.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": f"{day}/[{self.version}]{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }


__all__ = ["ACCOUNT", "FunctionIdentity"]
