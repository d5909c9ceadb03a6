"""``python -m csu.cli``: the full command line, without the fast path of ``csu.launch``."""

from csu.cli import main

main()
