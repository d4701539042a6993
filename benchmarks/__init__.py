"""Benchmarks: aeron-cffi beside Aeron's own C and Java clients, and beside pyaeron
(``python -m benchmarks``).

See ``docs/benchmarks.md``; ``__main__`` runs them, ``scenarios`` defines them,
``programs`` starts the programs, ``workers`` is the Python side and ``pyaeron_workers``
pyaeron's (both run the loops of ``loops``; ``peers`` makes pyaeron's venv); ``percall``
and ``recoverylog`` (the recovery log's ratios) run on their own.
"""
