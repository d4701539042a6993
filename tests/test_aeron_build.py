"""The supply chain in vendor/aeron/: pin, cache, and the AERON_SOURCE_DIR path."""

from __future__ import annotations

import filecmp
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "vendor" / "aeron"))
import aeron_build  # noqa: E402

from aeron_cffi import aeron_version  # noqa: E402


def test_compiled_in_release_is_the_pinned_one():
    assert aeron_version() == aeron_build.read_pin()["AERON_VERSION"]


def test_second_build_reuses_the_first(monkeypatch):
    aeron_build.build()

    def no_commands(cmd, **kwargs):
        raise AssertionError(f"a warm build ran {cmd}")

    monkeypatch.setattr(aeron_build, "_run", no_commands)
    built = aeron_build.build()
    assert all(lib.is_file() for lib in built.static_libs)


def test_source_dir_of_another_release_is_refused(tmp_path, monkeypatch):
    (tmp_path / "version.txt").write_text("1.0.0\n")
    monkeypatch.setenv("AERON_SOURCE_DIR", str(tmp_path))
    with pytest.raises(SystemExit, match="is Aeron 1.0.0"):
        aeron_build.locate_sources(aeron_build.read_pin())


def test_sbe_generated_codecs_match_the_crates_codecs(tmp_path):
    """The fallback for an AERON_SOURCE_DIR without codecs produces the very codecs
    the crates package ships (SBE at the version the tree's Gradle build names)."""
    crate_root = aeron_build.fetch_crate(aeron_build.read_pin())
    generated = aeron_build.generate_codecs(crate_root / "aeron", tmp_path)
    ours = generated / "c" / "aeron_archive_client"
    theirs = crate_root / "generated" / "c" / "aeron_archive_client"
    names = sorted(p.name for p in theirs.iterdir())
    assert len(names) > 50
    assert sorted(p.name for p in ours.iterdir()) == names
    match, mismatch, errors = filecmp.cmpfiles(ours, theirs, names, shallow=False)
    assert (mismatch, errors) == ([], [])
