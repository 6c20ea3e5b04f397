"""Fixtures for the kiosk tests: the simulated card in-process, and the real pcscd path.

The test PKI, the default profile and the one vpcd card controller are the shared card fixtures
(tests/card_fixtures.py), so this suite and the simulator suite never fight over the vpcd port.
"""

from __future__ import annotations

import pytest

from kiosk_client.simulator.card import VirtualCard
from kiosk_client.simulator.inprocess import InProcessTransport
from kiosk_client.simulator.profile import PROFILES_DIR, load_profile


@pytest.fixture(scope="session")
def mai_profile():
    return load_profile(PROFILES_DIR / "tran_thi_mai.json")


@pytest.fixture
def inprocess_card(pki, profile):
    """inprocess_card(**VirtualCard options) -> powered InProcessTransport (no pcscd)."""

    def make(**options) -> InProcessTransport:
        chosen = options.pop("profile", profile)
        options.setdefault("sleep", lambda s: None)
        card = VirtualCard(chosen, pki, **options)
        card.power_on()
        return InProcessTransport(card)

    return make


@pytest.fixture
def vcard(vpcd_controller):
    """The controller; each test starts the card it needs (``vcard.start(**options)``)."""
    yield vpcd_controller
    vpcd_controller.stop()
