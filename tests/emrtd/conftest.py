"""Fixtures for the eMRTD tests (helpers live in emrtd_testkit.py)."""
import pytest
from emrtd_testkit import Pki, make_pki


@pytest.fixture(scope="session")
def pki() -> Pki:
    return make_pki()
