"""The README's first program stays true: its publish/subscribe example runs as written
and prints the message it sent; and the version the package and the CLI report."""

from __future__ import annotations

import importlib.metadata
import pathlib
import re
import subprocess
import sys

import pytest

import aeron_cffi
from aeron_cffi.cli import main
from packaging_support import ROOT, clean_env


def readme_example() -> str:
    """The first ``python`` code block of the README."""
    return re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)


def test_the_readme_example_is_five_lines_after_its_import_and_prints_its_message(tmp_path: pathlib.Path):
    example = readme_example()
    code = [line for line in example.splitlines() if line.strip() and not line.startswith("from ")]
    assert len(code) == 5
    # AERON_DIR keeps the example's default Aeron directory private to this test.
    result = subprocess.run([sys.executable, "-c", example], capture_output=True, text=True, timeout=120,
                            cwd=tmp_path, env=clean_env(AERON_DIR=str(tmp_path / "aeron")))
    assert (result.returncode, result.stdout) == (0, "hello, Aeron\n"), result.stderr
    assert not (tmp_path / "aeron").exists()  # dir_delete_on_shutdown


def test_version_is_the_distributions_and_the_cli_prints_it_with_aerons(capsys):
    assert aeron_cffi.__version__ == importlib.metadata.version("aeron-cffi")
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == (
        f"aeron-cffi {aeron_cffi.__version__} (aeron version={aeron_cffi.aeron_version()} "
        f"commit={aeron_cffi.version_info().gitsha})\n")
