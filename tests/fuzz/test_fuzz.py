"""Misuse fuzzing (issue #7): random sequences of client and archive operations, each step
checked against a model of what is open, in child interpreters (``fuzz_machine.py``) that must
exit 0. 420 client-layer and 100 archive sequences: 520, with two to three minutes on two cores.
The ``hazard`` machine (closing things from inside poll handlers) is run by hand:
``python tests/fuzz/fuzz_machine.py --machine hazard``.
"""

from __future__ import annotations

import pytest

from fuzz_support import run_fuzz

pytestmark = pytest.mark.long

CLIENT_SEQUENCES = 420
ARCHIVE_SEQUENCES = 100


def test_client_layer_misuse_never_crashes(tmp_path):
    run = run_fuzz(tmp_path, "client", CLIENT_SEQUENCES)
    assert run.sequences >= CLIENT_SEQUENCES
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"


def test_archive_misuse_never_crashes(tmp_path):
    run = run_fuzz(tmp_path, "archive", ARCHIVE_SEQUENCES)
    assert run.sequences >= ARCHIVE_SEQUENCES
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"
