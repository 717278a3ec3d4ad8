"""`python -m service.store`: the store writer process (started by `GroupCommitWriter`)."""

import sys

from .writer import main

main(sys.argv)
