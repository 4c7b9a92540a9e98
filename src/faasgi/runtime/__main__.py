"""`python -m faasgi.runtime [module.handler]`."""

import sys

from faasgi.runtime.loop import main

sys.exit(main())
