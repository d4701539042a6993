"""Misuse fuzzing (issue #7): random sequences of client and archive operations, each step
checked against a model of what is open, in child interpreters (``fuzz_machine.py``) that must
exit 0. 420 client-layer and 100 archive sequences: 520, with two to three minutes on two cores.
The ``hazard`` machine (closing things from inside poll handlers and suppliers) adds 60.
"""

from __future__ import annotations

import pytest

from fuzz_support import run_fuzz

pytestmark = pytest.mark.long

CLIENT_SEQUENCES = 420
ARCHIVE_SEQUENCES = 100
HAZARD_SEQUENCES = 60


def test_client_layer_misuse_never_crashes(tmp_path):
    run = run_fuzz(tmp_path, "client", CLIENT_SEQUENCES)
    assert run.sequences >= CLIENT_SEQUENCES
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"


def test_archive_misuse_never_crashes(tmp_path):
    run = run_fuzz(tmp_path, "archive", ARCHIVE_SEQUENCES)
    assert run.sequences >= ARCHIVE_SEQUENCES
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"


def test_closing_from_inside_handlers_never_crashes(tmp_path):
    run = run_fuzz(tmp_path, "hazard", HAZARD_SEQUENCES)
    assert run.sequences >= HAZARD_SEQUENCES
    assert run.steps > 5 * run.sequences, "sequences did almost nothing"
