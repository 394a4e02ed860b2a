"""Shared fixtures and paths for the test suite."""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # so tests can import helpers like nbgrader_course


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
