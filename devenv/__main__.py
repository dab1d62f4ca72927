"""`python -m devenv`."""

import sys

from devenv.cli import main

sys.exit(main())
