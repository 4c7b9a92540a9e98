"""The two small shell scripts that start faasgi.runtime on Lambda, as `faasgi package`
writes them into an AWS zip (executable):

- `faasgi-runtime`, for `AWS_LAMBDA_EXEC_WRAPPER=/var/task/faasgi-runtime` on AWS's managed
  Python runtime. Lambda runs the wrapper with the runtime's own start command as its
  arguments and expects it to exec a runtime
  (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-modify.html); on the Python
  runtimes that command is `/var/lang/bin/python3.N /var/runtime/bootstrap.py`, so the
  wrapper keeps the interpreter (`$1`) and `_HANDLER` and runs faasgi.runtime instead of
  AWS's bootstrap.py.
- `bootstrap`, the file Lambda runs on the OS-only runtimes (`provided.al2023`,
  https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html), with a Python
  bundled in the zip (`python/bin/python3`), in a layer (`/opt/python/bin/python3`) or on
  the PATH (a container image).
"""

from __future__ import annotations

WRAPPER = "faasgi-runtime"
BOOTSTRAP = "bootstrap"

WRAPPER_SCRIPT = """\
#!/bin/sh
# faasgi-runtime: AWS_LAMBDA_EXEC_WRAPPER for AWS's managed Python runtime (faasgi package).
# Lambda runs: faasgi-runtime /var/lang/bin/python3.N /var/runtime/bootstrap.py
# This keeps the interpreter and _HANDLER and runs faasgi's runtime instead of bootstrap.py.
python="$1"
case "$python" in
  */python*) ;;
  *) python=python3 ;;
esac
export PYTHONPATH="${LAMBDA_TASK_ROOT:-/var/task}${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m faasgi.runtime
"""

BOOTSTRAP_SCRIPT = """\
#!/bin/sh
# bootstrap: Lambda's entry point on provided.al2023 (faasgi package). Runs faasgi's runtime
# with the first Python found: bundled in the zip, in a layer, or on the PATH.
root="${LAMBDA_TASK_ROOT:-/var/task}"
for python in "$root/python/bin/python3" /opt/python/bin/python3; do
  if [ -x "$python" ]; then
    break
  fi
  python=python3
done
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"
exec "$python" -m faasgi.runtime
"""

#: Path in the zip -> script text.
SCRIPTS = {WRAPPER: WRAPPER_SCRIPT, BOOTSTRAP: BOOTSTRAP_SCRIPT}
