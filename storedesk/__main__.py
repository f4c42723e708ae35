"""`python -m storedesk` is the `storedesk` command."""

import sys

from storedesk.cli import main

sys.exit(main())
