# setuptools reads everything from pyproject.toml; cffi's build hook still needs setup().
from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
