"""The docs site (``mkdocs.yml``) builds with warnings as errors: a broken link or anchor
in the guides, or a docstring mkdocstrings cannot render, fails this test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_site_builds_strictly(tmp_path: Path) -> None:
    environment = dict(os.environ, NO_MKDOCS_2_WARNING="1",
                       PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for package in ("aeron_cffi", "aeron_cffi.archive", "aeron_cffi.cluster", "aeron_cffi.queue",
                    "aeron_cffi.recoverylog", "aeron_cffi.aio", "aeron_cffi.testing"):
        page = (tmp_path / "site" / "api" / package / "index.html").read_text()
        assert 'class="doc doc-heading"' in page, f"the API page of {package} renders no names"
    assert (tmp_path / "site" / "index.html").is_file()
