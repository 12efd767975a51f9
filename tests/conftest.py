from pathlib import Path

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
ROOT = TESTS.parent


@pytest.fixture
def williams_path() -> Path:
    return DATA / "williams_decentralization.yaml"
