"""The pytest plugin without ``java`` on ``PATH``: the test that asks for a Java archive
fails with one line naming what is missing (docs/tools/plugin.md), no traceback."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

TEST_FILE = '''
def test_wants_an_archive(aeron_java_archive):
    pass
'''


def test_a_missing_java_fails_the_test_with_one_line_naming_it(tmp_path):
    (tmp_path / "test_needs_java.py").write_text(TEST_FILE)
    # PATH with this interpreter's directory only: everything the plugin needs but java
    path = str(pathlib.Path(sys.executable).parent)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)], cwd=tmp_path,
        capture_output=True, text=True, timeout=120, env={**os.environ, "PATH": path, "COLUMNS": "400"})
    assert completed.returncode == 1, completed.stdout[-3000:]
    output = completed.stdout
    expected = ("java is not on PATH: the Java archive needs a Java 17+ runtime (install one, or pass "
                "JavaArchive(java=...))")
    report = output[output.index("ERROR at setup of test_wants_an_archive"):output.index("short test summary")]
    assert report.splitlines()[1:-1] == [expected], output[-3000:]  # (between the section's two rules)
    assert f"ERROR test_needs_java.py::test_wants_an_archive - Failed: {expected}" in output, output[-3000:]
    assert "Traceback" not in output and "FileNotFoundError" not in output
