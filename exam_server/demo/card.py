"""The demo's simulated citizen ID card: `exam-server demo` puts it in the reader itself.

``demo_card(pki_dir)`` is a context manager around the server: it makes sure pcscd runs with the
vpcd driver (starting pcscd when it is not running and we are root), inserts the simulated card of
the demo profile into vpcd's second slot (port 35964, reader "Virtual PCD 00 01") on a daemon
thread of this process, and waits until pcscd reports the card present. On leaving (the server
stopped, Ctrl-C, or SIGTERM, which is turned into the same clean stop) the card is taken out and a
pcscd this demo started is stopped again. A thread, not a child process: when the server process
ends, however it ends, the card goes with it and nothing is left running.

When something is missing it says so in one line and the demo carries on without the card.
kiosk_client is imported here only, lazily: the Flask app never imports it.
"""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from exam_server.demo.checkin import PROFILE, SIMULATOR_PORT, VIRTUAL_READER, shown

CARD_TIMEOUT = 15.0  # seconds for pcscd to list the vpcd reader, then again for the card to show


class DemoCard:
    """The demo profile's card behind vpcd. ``start()`` returns True once pcscd sees it."""

    def __init__(self, pki_dir: Path, *, profile: Path = PROFILE, port: int = SIMULATOR_PORT,
                 say: Callable[[str], None] = print, timeout: float = CARD_TIMEOUT,
                 portrait: Path | None = None) -> None:
        self.pki_dir, self.profile, self.port = Path(pki_dir), Path(profile), port
        self.portrait = portrait   # the demo's detectable portrait in place of the profile's drawn one
        self.say, self.timeout = say, timeout
        self.reader = VIRTUAL_READER
        self.holder = ""
        self._service = None
        self._lock = None
        self._bridge = None

    def start(self) -> bool:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> bool:
        try:
            from kiosk_client.simulator import pcscd as pcscd_mod
        except ImportError as exc:  # the kiosk extra is not installed
            self.say(f"Simulated card: not started, the kiosk client is not installed ({exc}); "
                     "install it with: pip install -e '.[kiosk]'")
            return False
        if pcscd_mod.reader_name_for_port(self.port) != self.reader:
            raise ValueError(f"vpcd port {self.port} is not the reader {self.reader!r}")
        if os.geteuid() != 0 and pcscd_mod.vpcd_installed() and not pcscd_mod.pcscd_serving():
            self.say("Simulated card: not started: pcscd is not running and only root can start it. "
                     + _fix_hint("only root"))
            return False
        self._service = pcscd_mod.PcscdService()
        try:
            readers = self._service.ensure(timeout=self.timeout)
        except (pcscd_mod.PcscUnavailable, OSError) as exc:
            self._service = None  # ensure() released what it took
            self.say(f"Simulated card: not started: {exc}. {_fix_hint(str(exc))}")
            return False
        if self.reader not in readers:
            self.say(f"Simulated card: not started: pcscd lists {readers}, not {self.reader!r} "
                     "(vsmartcard-vpcd serves two slots, ports 35963 and 35964)")
            return False
        self._lock = pcscd_mod.PortLock(self.port)
        try:
            locked = self._lock.acquire(timeout=5)
        except OSError as exc:  # e.g. a lock file another user created
            self._lock = None
            self.say(f"Simulated card: not started: {exc}. {_fix_hint('')}")
            return False
        if not locked:
            self._lock = None
            self.say(f"Simulated card: not started: vpcd port {self.port} is in use by another demo, "
                     f"test run or benchmark ({pcscd_mod.PortLock(self.port).path})")
            return False
        if _card_present(self.reader):
            self.say(f"Simulated card: the reader {self.reader!r} already has a card (another "
                     "`exam-kiosk simulate-card`?); the demo uses it instead of starting its own")
            return True
        from kiosk_client.simulator.card import VirtualCard
        from kiosk_client.simulator.vpcd import VpcdBridge

        logging.getLogger("kiosk_client.simulator.vpcd").setLevel(logging.WARNING)  # no line per (re)connect
        from kiosk_client.simulator.profile import load_profile

        profile = load_profile(self.profile)
        if self.portrait is not None and Path(self.portrait).is_file():
            profile = profile.with_changes(photo=Path(self.portrait))
        card = VirtualCard(profile, self.pki_dir)
        self.holder = f"{card.profile.full_name} (CCCD {card.profile.id_number})"
        self._bridge = VpcdBridge(card, port=self.port).start()
        try:
            if not self._bridge.connected.wait(self.timeout):
                raise TimeoutError(f"could not connect to vpcd on 127.0.0.1:{self.port} in {self.timeout:g} s")
            pcscd_mod.wait_card_state(self.reader, present=True, timeout=self.timeout)
        except Exception as exc:  # noqa: BLE001 - any failure: say why, serve without the card
            self.stop()
            self.say(f"Simulated card: not started: {exc}. {_fix_hint('')}")
            return False
        self.say(f"Simulated card: {self.holder} is in the reader {self.reader!r} (vpcd port {self.port}).")
        return True

    def stop(self) -> None:
        """Take the card out and release pcscd; safe to call more than once."""
        bridge, self._bridge = self._bridge, None
        if bridge is not None:
            bridge.stop()
            with contextlib.suppress(Exception):  # pcscd notices within a moment; do not hang on it
                from kiosk_client.simulator.pcscd import wait_card_state

                wait_card_state(self.reader, present=False, timeout=2)
            self.say(f"Simulated card: taken out of the reader {self.reader!r}.")
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()
        service, self._service = self._service, None
        if service is not None:
            service.close()


def _card_present(reader: str) -> bool:
    from kiosk_client.card.errors import CardLayerError
    from kiosk_client.card.pcsc import PcscReader

    try:
        pr = PcscReader(reader)
        names = pr.list_readers()
        return bool(names) and pr._card_present(names) is not None
    except CardLayerError:
        return False


def _fix_hint(reason: str) -> str:
    if "only root" in reason:
        return ("Start pcscd (sudo systemctl start pcscd, or sudo pcscd) and run the demo again; "
                "serving without the simulated card")
    if "not installed" in reason:
        return "Install it (sudo apt-get install -y pcscd vsmartcard-vpcd); serving without the simulated card"
    if "lists no 'Virtual PCD'" in reason:
        return "Restart pcscd (sudo systemctl restart pcscd); serving without the simulated card"
    return "Serving without the simulated card"


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the server like Ctrl-C does, so the card and pcscd are cleaned up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def demo_card(pki_dir: Path, *, say: Callable[[str], None] = print, enabled: bool = True,
              **options) -> Iterator[DemoCard | None]:
    """The demo card for the ``with`` block: None when disabled or when it could not be started (the
    reason was said). Ctrl-C or SIGTERM inside the block end it quietly, the card taken out."""
    card = DemoCard(pki_dir, say=say, **options)
    with _sigterm_as_interrupt():
        started = enabled and card.start()  # an interrupt while starting propagates (start cleans up)
        try:
            yield card if started else None
        except KeyboardInterrupt:
            pass
        finally:
            card.stop()


def exam_kiosk_program() -> str:
    """How to call exam-kiosk from here: the one beside this Python (the virtualenv's), else by name."""
    import shutil
    import sys

    beside = Path(sys.executable).parent / "exam-kiosk"
    if not beside.exists():
        return "exam-kiosk"
    on_path = shutil.which("exam-kiosk")
    if on_path and Path(on_path).resolve() == beside.resolve():
        return "exam-kiosk"
    return shown(beside)


def checkin_lines(checkin, server_url: str, card: str) -> list[str]:
    """What to run to check the card in; ``card`` is "in" (in the reader), "failed" or "off" (--no-card)."""
    command = checkin.kiosk_command(server_url, exam_kiosk_program())
    lines = {
        "in": ["Check the simulated card in at kiosk K01 (in another terminal, in this directory):"],
        "failed": [("Check-in at kiosk K01 needs the simulated card, which is not in the reader (see above); "
                   "once it is, run:")],
        "off": [("Check-in at kiosk K01 (--no-card: start `exam-kiosk simulate-card --port "
                f"{SIMULATOR_PORT} --pki {shown(checkin.pki_dir)}` yourself first):")],
    }[card]
    # The kiosk's own words, in its default language (Vietnamese; `--lang en` for English).
    from kiosk_client import messages as kiosk_messages
    from kiosk_client.i18n import DEFAULT_LANGUAGE, translations

    kiosk_says = translations(DEFAULT_LANGUAGE).gettext
    checked_in = kiosk_says(kiosk_messages.CHECKED_IN).format(full_name=checkin.full_name,
                                                              candidate_number=checkin.candidate_number)
    exam_page = kiosk_says(kiosk_messages.EXAM_PAGE).format(url=f"{server_url}/exam#token=...")
    lines += [f"    {command}",
              (f"  it prints \"{checked_in}\" and \"{exam_page}\" (the candidate's exam page; add --open to "
               "open it in your web browser; --lang en for the kiosk's messages in English).")]
    return lines
