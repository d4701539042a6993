"""Benchmarks: aeron-cffi beside Aeron's own C and Java clients (``python -m benchmarks``).

See ``docs/benchmarks.md``; ``__main__`` runs them, ``scenarios`` defines them,
``programs`` starts the programs, ``workers`` is the Python side; ``percall`` and
``recoverylog`` (the recovery log's ratios) run on their own.
"""
