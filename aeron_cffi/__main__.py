"""``python -m aeron_cffi``: the ``aeron-cffi`` command line."""

from aeron_cffi.cli import main

raise SystemExit(main())
