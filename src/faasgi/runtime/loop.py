"""The runtime loop: load the handler named in `_HANDLER`, then ask the Runtime API for an
event, run it, post the answer, run the work after the response, and ask again — for ever.

An init failure goes to `/init/error` and the process exits; a failure in one invocation
goes to `/error` (or, once a streamed answer has started, to its error trailers) and the
loop goes on. A SIGTERM handler runs promptly even while `/next` waits: the wait is a
pure-Python socket read in the main thread, which CPython interrupts to run signal handlers
(PEP 475), unlike awslambdaric's C call before its 3.12 thread polling.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from typing import Any

from faasgi.runtime import extension
from faasgi.runtime.client import RuntimeAPI
from faasgi.runtime.context import ContextError, LambdaContext
from faasgi.runtime.errors import HandlerError, error_body, xray_cause
from faasgi.runtime.sinks import RuntimeSink, StreamingSink, marshal

logger = logging.getLogger("faasgi.runtime")

INVOKE_MODE = "FAASGI_INVOKE_MODE"
STREAM = "RESPONSE_STREAM"


def task_paths() -> list[str]:
    """Where AWS's bootstrap.py looks for the function's code and layers (LAMBDA_TASK_ROOT,
    then /opt/python's site-packages and /opt/python), in that order."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    root = os.environ.get("LAMBDA_TASK_ROOT")
    paths = [root] if root else []
    return [*paths, f"/opt/python/lib/python{version}/site-packages", "/opt/python"]


def load(spec: str) -> Any:
    """`module.attr` (Lambda's form, `/` allowed in the module path) or `module:attr`."""
    if ":" in spec:
        module_name, _, attribute = spec.partition(":")
    else:
        module_name, _, attribute = spec.rpartition(".")
    if not module_name or not attribute:
        raise HandlerError(
            "Runtime.MalformedHandlerName",
            f"Bad handler '{spec}': not enough values to unpack (expected 2, got 1)",
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise HandlerError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise HandlerError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from error
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise HandlerError(
            "Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'"
        ) from None


def streaming(target: Any) -> bool:
    mode = getattr(target, "invoke_mode", None) or os.environ.get(INVOKE_MODE, "BUFFERED")
    return str(mode).strip().upper() == STREAM


class Runtime:
    """One process's runtime: the handler, the API client, the loop."""

    def __init__(self, api: RuntimeAPI, target: Any) -> None:
        from faasgi.function import Handler

        self.api = api
        self.target = target
        self.faasgi = isinstance(target, Handler)
        self.sink_type = StreamingSink if streaming(target) else RuntimeSink

    def serve_forever(self) -> None:
        while True:
            self.serve_one()

    def serve_one(self) -> None:
        api = self.api
        event = api.next()
        request_id = event.request_id
        trace_id = event.header("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        sink: RuntimeSink | None = None
        try:
            context = LambdaContext(
                request_id,
                event.header("Lambda-Runtime-Deadline-Ms"),
                event.header("Lambda-Runtime-Invoked-Function-Arn"),
                event.header("Lambda-Runtime-Client-Context"),
                event.header("Lambda-Runtime-Cognito-Identity"),
                event.header("Lambda-Runtime-Aws-Tenant-Id"),
            )
            # As awslambdaric: JSON only when the content type says exactly that.
            payload: Any = event.body
            if event.header("Content-Type") == "application/json":
                try:
                    payload = json.loads(payload)
                except ValueError as error:
                    self._fail(
                        request_id, "Runtime.UnmarshalError", f"Unable to unmarshal input: {error}"
                    )
                    return
            if self.faasgi:
                sink = self.sink_type(self.target.codec, api, request_id)
                self.target.invoke(payload, context, sink)
            else:
                result = self.target(payload, context)
                body, content_type = marshal(result)
                api.respond(request_id, body, content_type)
        except ContextError as error:
            self._fail(request_id, "Runtime.LambdaContextUnmarshalError", str(error))
        except Exception as error:
            if sink is not None and sink.posted:
                logger.exception("invocation %s failed after its answer was sent", request_id)
                return
            failure = error_body(error, request_id)
            _log_error(failure)
            cause = xray_cause(error, failure["errorType"], failure["errorMessage"])
            api.error(request_id, failure, cause)

    def _fail(self, request_id: str, error_type: str, message: str) -> None:
        body = {
            "errorMessage": message,
            "errorType": error_type,
            "requestId": request_id,
            "stackTrace": [],
        }
        _log_error(body)
        self.api.error(request_id, body, xray_cause(None, "LambdaValidationError", message))


def _log_error(body: dict[str, Any]) -> None:
    """The error in the function's log, as AWS's runtime writes it (text format)."""
    lines = [f"[ERROR] {body['errorType']}: {body['errorMessage']}"]
    if body["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in body["stackTrace"])
    sys.stdout.write("\r".join(lines) + "\n")
    sys.stdout.flush()


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(message)s"))
        root.addHandler(handler)
        level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
        root.setLevel(level if isinstance(logging.getLevelName(level), int) else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    """`python -m faasgi.runtime [HANDLER]`: HANDLER defaults to `_HANDLER`."""
    argv = sys.argv[1:] if argv is None else argv
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write(
            "faasgi.runtime: AWS_LAMBDA_RUNTIME_API is not set; this is the runtime Lambda "
            "starts (through AWS_LAMBDA_EXEC_WRAPPER or a bootstrap), not a command to run "
            "by hand\n"
        )
        return 2
    spec = argv[0] if argv else os.environ.get("_HANDLER", "")
    if not spec:
        sys.stderr.write("faasgi.runtime: no handler: set _HANDLER or pass module.handler\n")
        return 2
    for path in reversed(task_paths()):
        if path not in sys.path:
            sys.path.insert(0, path)
    _configure_logging()
    try:
        api = RuntimeAPI(address)
    except ValueError as error:
        sys.stderr.write(f"faasgi.runtime: {error}\n")
        return 2
    # Before the first /next: Lambda closes registration when init ends.
    os.environ["FAASGI_RUNTIME"] = "faasgi"
    if extension.wanted():
        extension.register(address)
    try:
        target = load(spec)
        if not callable(target):
            raise HandlerError("Runtime.HandlerNotFound", f"Handler '{spec}' is not callable")
    except Exception as error:  # init failure: reported, then the process ends
        body = error_body(error)
        body["requestId"] = ""
        _log_error(body)
        api.init_error(body)
        return 1
    Runtime(api, target).serve_forever()
    return 0  # pragma: no cover - the loop never ends
