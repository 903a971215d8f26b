"""Build hook: put libjitrl.so.0 next to the package, so an installed
jitrl finds its library without JITRL_LIBRARY.  The library is taken from
$JITRL_LIBRARY, else from the checkout's build/ (make it first); without
one the package installs alone and finds the library at run time
(JITRL_LIBRARY, JITRL_BUILD)."""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def find_library():
    for p in (os.environ.get("JITRL_LIBRARY"), os.path.join(HERE, "..", "build", "libjitrl.so.0")):
        if p and os.path.isfile(p):
            return os.path.realpath(p)
    return None


class BuildPy(build_py):
    def run(self):
        super().run()
        lib = find_library()
        if lib:
            dest = os.path.join(self.build_lib, "jitrl", "libjitrl.so.0")
            shutil.copyfile(lib, dest)
            print("jitrl: bundled %s" % lib)
        else:
            print("jitrl: no libjitrl.so.0 found to bundle; set JITRL_LIBRARY at run time")


setup(cmdclass={"build_py": BuildPy})
