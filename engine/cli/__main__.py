"""`python -m engine.cli`: the `distill` command without its console script (used to start background engines)."""

import sys

from engine.cli import main

sys.exit(main())
