"""`python -m storedesk.sim`."""

import sys

from storedesk.sim.cli import main

sys.exit(main())
