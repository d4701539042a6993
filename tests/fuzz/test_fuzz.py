"""Misuse fuzzing (issues #7, #17): random sequences of client and archive operations, each step
checked against a model of what is open, in child interpreters (``fuzz_machine.py``) that must
exit 0, with a fresh random seed on every run (printed; ``AERON_FUZZ_SEED`` replays one).
420 client-layer and 100 archive sequences: 520, with two to three minutes on two cores. The
``hazard`` machine (``hazard_machine.py``: closes from inside handlers, assemblers,
``for_each_image`` and suppliers, from image handlers and from other threads while polls, offers,
claims, getters and the fast paths run; images whose publisher went; offers from several threads
with suppliers) adds 60.
"""

from __future__ import annotations

import pytest

from fuzz_support import run_fuzz

pytestmark = pytest.mark.long

@pytest.mark.parametrize("machine, sequences", [
    ("client", 420),  # the client layer's use and misuse
    ("archive", 100),  # the same with a Java archive
    ("hazard", 60),  # closes from inside calls, from conductor callbacks and from other threads
])
def test_random_use_and_misuse_never_crashes(tmp_path, machine, sequences):
    run = run_fuzz(tmp_path, machine, sequences)
    assert run.sequences >= sequences
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"
