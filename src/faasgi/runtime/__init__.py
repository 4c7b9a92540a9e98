"""`python -m faasgi.runtime`: faasgi's own AWS Lambda runtime — a Runtime API client loop
in the standard library that runs any handler named in `_HANDLER` (a faasgi handler or a
plain `handler(event, context)` function), posts answers as soon as they are ready,
streams HTTP responses when the function streams (`FAASGI_INVOKE_MODE=RESPONSE_STREAM`),
runs the work after the response before the next event, and makes Lambda deliver SIGTERM.

Lambda starts it through `AWS_LAMBDA_EXEC_WRAPPER=/var/task/faasgi-runtime` on the managed
Python runtime, as a container image's command, or from `bootstrap` on `provided.al2023`
(docs/deploy.md, docs/streaming.md). Importing this package imports nothing else.
"""
