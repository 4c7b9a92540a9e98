"""Starts a child process at init (`sleep 300`, inheriting stdout and the instance's signal
dispositions, as `subprocess.Popen` does by default) and writes its pid to $CHILD_PID_FILE;
`/crash` then ends the instance process mid-invocation, anything else answers the pid."""

import os
import subprocess

from faasgi import serverless

child = subprocess.Popen(["sleep", "300"])
with open(os.environ["CHILD_PID_FILE"], "w") as pid_file:
    pid_file.write(str(child.pid))


def app(environ, start_response):
    if environ["PATH_INFO"] == "/crash":
        os._exit(1)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


handler = serverless(app)
