"""`python -m floop.cli ...` is `floop ...`."""

import sys

from floop.cli import main

sys.exit(main())
