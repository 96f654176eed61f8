"""``python -m painpoints``: the command line (see ``painpoints --help``)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
