"""``make bench``: every benchmark, with the sizes of the targets (1,000,000 voters and
journal entries). ``python -m bench 100000`` runs them smaller."""

import sys

from bench import credentials, journal, lookup, roll_import, search, terminal


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    deps = roll_import.main(size)
    lookup.main(size, deps)
    search.main(size, deps)
    terminal.main(size, deps)
    journal.main(size)
    credentials.main(size, deps)


if __name__ == "__main__":
    main()
