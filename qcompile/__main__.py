"""``python -m qcompile``: the command line (see :mod:`qcompile.cli`)."""

import sys

from qcompile.cli import main

sys.exit(main())
