"""`python -m client ...` runs the team command-line client in place (installed: `podium ...`)."""

import sys

from .podium_client import main

sys.exit(main())
