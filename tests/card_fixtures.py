"""Card fixtures shared by every suite that needs the simulated CCCD (registered as a plugin
in tests/conftest.py): a test PKI, cards, and the real pcscd + vpcd path.

Real-PC/SC tests (marked ``pcsc``) share ONE session-scoped ``vpcd_controller``: vpcd serves one
card per port, so tests restart the card with other options instead of opening their own.
An inter-process file lock keeps parallel pytest runs off the same port.
With CI=true a missing pcscd/vpcd fails those tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os

import pytest

from kiosk_client.simulator import pcscd as pcscd_mod
from kiosk_client.simulator.card import VirtualCard
from kiosk_client.simulator.pki import make_test_pki
from kiosk_client.simulator.profile import DEFAULT_PROFILE, load_profile
from kiosk_client.simulator.vpcd import VpcdBridge

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
VPCD_PORT = int(os.environ.get("KIOSK_VPCD_PORT", pcscd_mod.BASE_PORT))


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def profile():
    return load_profile(DEFAULT_PROFILE)


@pytest.fixture
def make_card(pki, profile):
    """make_card(access=..., fault=..., ...) -> VirtualCard (no real sleeping for 'slow')."""

    def make(**options) -> VirtualCard:
        options.setdefault("profile", profile)
        return VirtualCard(options.pop("profile"), pki, **options)

    return make


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason}: CI must run the pcscd/vpcd tests")
    pytest.skip(reason)


class VpcdCardController:
    """Runs one VirtualCard behind vpcd at a time (bridge thread in this process)."""

    def __init__(self, pki, profile, port: int) -> None:
        self.pki, self.profile, self.port = pki, profile, port
        self.reader = pcscd_mod.reader_name_for_port(port)
        self.bridge: VpcdBridge | None = None
        self.card: VirtualCard | None = None

    def start(self, **options) -> VirtualCard:
        """(Re)insert a freshly built card; return once pcscd reports it present."""
        self.stop()
        profile, pki = options.pop("profile", self.profile), options.pop("pki", self.pki)
        self.card = VirtualCard(profile, pki, **options)
        self.bridge = VpcdBridge(self.card, port=self.port).start()
        if not self.bridge.connected.wait(10):
            raise AssertionError(f"the virtual card could not connect to vpcd on port {self.port}")
        pcscd_mod.wait_card_state(self.reader, present=True)
        return self.card

    def remove(self) -> None:
        """Take the card away like a cardholder would; pcscd sees it gone."""
        if self.bridge is not None:
            self.bridge.remove()
            pcscd_mod.wait_card_state(self.reader, present=False)

    def stop(self) -> None:
        if self.bridge is not None:
            self.bridge.stop()
            self.bridge = None
            pcscd_mod.wait_card_state(self.reader, present=False)
        self.card = None


@pytest.fixture(scope="session")
def pcsc_service():
    service = pcscd_mod.PcscdService()
    try:
        readers = service.ensure()
    except pcscd_mod.PcscUnavailable as exc:
        _unavailable(str(exc))
    yield readers
    service.close()


@pytest.fixture(scope="session")
def vpcd_controller(pcsc_service, pki, profile):
    reader = pcscd_mod.reader_name_for_port(VPCD_PORT)
    if reader not in pcsc_service:
        _unavailable(f"pcscd lists {pcsc_service}, not {reader!r}")
    lock = pcscd_mod.PortLock(VPCD_PORT)
    if not lock.acquire(timeout=120):
        _unavailable(f"vpcd port {VPCD_PORT} is held by another test run ({lock.path})")
    controller = VpcdCardController(pki, profile, VPCD_PORT)
    try:
        yield controller
    finally:
        controller.stop()
        lock.release()


@pytest.fixture
def vpcd_card(vpcd_controller):
    """The session's controller with a default card inserted; the card is removed afterwards."""
    vpcd_controller.start()
    yield vpcd_controller
    vpcd_controller.stop()
