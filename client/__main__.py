"""`python -m client ...` runs the team command-line client."""

import sys

from client.podium_client import main

sys.exit(main())
