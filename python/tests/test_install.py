"""Packaging and loading: `pip install --no-build-isolation --no-index`
works offline and bundles the library next to the package; a missing,
foreign or older library is a clear ImportError."""
import os
import shutil
import subprocess
import sys

import pytest

import jitrl
from conftest import ROOT

PY = sys.executable


def run_py(code, env_extra, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ("JITRL_LIBRARY", "JITRL_BUILD", "PYTHONPATH")}
    env.update(env_extra)
    return subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=60)


def test_pip_install_offline_bundles_the_library(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "python"), src, ignore=shutil.ignore_patterns("tests", "__pycache__",
                                                                                   "build", "*.egg-info"))
    target = tmp_path / "site"
    env = dict(os.environ, JITRL_LIBRARY=jitrl.library_path)
    r = subprocess.run([PY, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-index", "--no-deps",
                        "--target", str(target), str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (target / "jitrl" / "libjitrl.so.0").exists()
    r = run_py("import jitrl, sys; print(jitrl.library_path); e = jitrl.Memory(None); print(e.stats()['steps'])",
               {"PYTHONPATH": str(target)}, str(tmp_path))
    assert r.returncode == 0, r.stderr
    path, steps = r.stdout.split()
    assert path.startswith(str(target)) and steps == "0"


def test_missing_library_is_an_import_error(tmp_path):
    r = run_py("import jitrl", {"PYTHONPATH": os.path.join(ROOT, "python"),
                                "JITRL_LIBRARY": str(tmp_path / "nope.so")}, str(tmp_path))
    assert r.returncode != 0 and "ImportError" in r.stderr and "nope.so" in r.stderr


def test_foreign_and_older_libraries_are_import_errors(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler to build a stand-in library")
    old = tmp_path / "old.c"
    old.write_text('const char *jitrl_version(void) { return "0.3.0"; }\n')
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libold.so"), str(old)], check=True)
    other = tmp_path / "other.c"
    other.write_text("int not_jitrl(void) { return 1; }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(tmp_path / "libother.so"), str(other)], check=True)
    pp = os.path.join(ROOT, "python")
    r = run_py("import jitrl", {"PYTHONPATH": pp, "JITRL_LIBRARY": str(tmp_path / "libold.so")}, str(tmp_path))
    assert r.returncode != 0 and "ImportError" in r.stderr and "0.3.0" in r.stderr and "0.4" in r.stderr
    r = run_py("import jitrl", {"PYTHONPATH": pp, "JITRL_LIBRARY": str(tmp_path / "libother.so")}, str(tmp_path))
    assert r.returncode != 0 and "is not libjitrl" in r.stderr
