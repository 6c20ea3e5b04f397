"""Fixtures for the kiosk tests: test PKI, the simulated card, QR text, and the real pcscd path.

The pcscd/vpcd machinery is the simulator suite's (tests/simulator/conftest.py), loaded from
that file rather than copied. vpcd serves ONE card per port and its PortLock is held for as
long as a controller lives, so this suite never opens a second controller while the
simulator suite's session controller exists: ``kiosk_vpcd`` reuses that controller when it
is already running in this pytest session, and otherwise opens its own for one test module
only (module scope), releasing port and lock before the simulator tests run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kiosk_client.simulator import pcscd as pcscd_mod
from kiosk_client.simulator.card import VirtualCard
from kiosk_client.simulator.inprocess import InProcessTransport
from kiosk_client.simulator.pki import make_test_pki
from kiosk_client.simulator.profile import DEFAULT_PROFILE, PROFILES_DIR, load_profile


def _load_simulator_conftest():
    path = Path(__file__).resolve().parents[1] / "simulator" / "conftest.py"
    spec = importlib.util.spec_from_file_location("kiosk_tests_simulator_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sim = _load_simulator_conftest()


@pytest.fixture(scope="session")
def kiosk_pki(tmp_path_factory):
    return make_test_pki(tmp_path_factory.mktemp("kiosk-pki"))


@pytest.fixture(scope="session")
def kiosk_profile():
    return load_profile(DEFAULT_PROFILE)


@pytest.fixture(scope="session")
def mai_profile():
    return load_profile(PROFILES_DIR / "tran_thi_mai.json")


@pytest.fixture
def inprocess_card(kiosk_pki, kiosk_profile):
    """inprocess_card(**VirtualCard options) -> powered InProcessTransport (no pcscd)."""

    def make(**options) -> InProcessTransport:
        profile = options.pop("profile", kiosk_profile)
        options.setdefault("sleep", lambda s: None)
        card = VirtualCard(profile, kiosk_pki, **options)
        card.power_on()
        return InProcessTransport(card)

    return make


def _fixturedefs(fixturemanager, name: str):
    """Every FixtureDef called ``name`` in the session (pytest's tables differ by version)."""
    for attr in ("_arg2fixturedefs", "_arg2node2fixturedefs", "_arg2nodeid2fixturedefs"):
        entry = (getattr(fixturemanager, attr, None) or {}).get(name)
        if not entry:
            continue
        for value in entry.values() if isinstance(entry, dict) else [entry]:
            yield from value if isinstance(value, (list, tuple)) else [value]


def _active_simulator_controller(request):
    """The tests/simulator session controller if it is alive in this session, else None."""
    for fixturedef in _fixturedefs(request._fixturemanager, "vpcd_controller"):
        cached = getattr(fixturedef, "cached_result", None)
        if cached is not None and cached[0] is not None:
            return cached[0]
    return None


@pytest.fixture(scope="session")
def kiosk_pcsc_service():
    service = pcscd_mod.PcscdService()
    try:
        readers = service.ensure()
    except pcscd_mod.PcscUnavailable as exc:
        sim._unavailable(str(exc))
    yield readers
    service.close()


@pytest.fixture(scope="module")
def kiosk_vpcd(request, kiosk_pcsc_service, kiosk_pki, kiosk_profile):
    """A VpcdCardController (the simulator suite's when running, else ours for this module)."""
    existing = _active_simulator_controller(request)
    if existing is not None:
        yield existing
        return
    reader = pcscd_mod.reader_name_for_port(sim.VPCD_PORT)
    if reader not in kiosk_pcsc_service:
        sim._unavailable(f"pcscd lists {kiosk_pcsc_service}, not {reader!r}")
    lock = pcscd_mod.PortLock(sim.VPCD_PORT)
    if not lock.acquire(timeout=120):
        sim._unavailable(f"vpcd port {sim.VPCD_PORT} is held by another test run ({lock.path})")
    controller = sim.VpcdCardController(kiosk_pki, kiosk_profile, sim.VPCD_PORT)
    try:
        yield controller
    finally:
        controller.stop()
        lock.release()


@pytest.fixture
def vcard(kiosk_vpcd):
    """The controller; each test starts the card it needs (``vcard.start(**options)``)."""
    yield kiosk_vpcd
    kiosk_vpcd.stop()
