"""Bring up the real PC/SC stack for the simulator: pcscd with the vpcd driver, plus a card.

Used by the test fixtures and handy in a shell. pcscd is started only when it is not
running already, and only then stopped again.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from kiosk_client.card.errors import CardLayerError, NoCard

VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
VPCD_DRIVER_GLOB = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so*"
PCSCD_SOCKET = Path("/run/pcscd/pcscd.comm")
BASE_PORT = 35963  # vpcd's first slot, 'Virtual PCD 00 00'; the next port is '... 00 01'


class PcscUnavailable(RuntimeError):
    """pcscd or the vpcd driver is missing or cannot be started (message says why)."""


def reader_name_for_port(port: int) -> str:
    return f"Virtual PCD 00 {port - BASE_PORT:02d}"


def pcscd_serving() -> bool:
    """True when a PC/SC context can be established, i.e. a live pcscd answers on its socket.

    Asking the service beats ``pgrep pcscd``: a killed pcscd can linger as a zombie, and a
    dead one leaves its socket file behind.
    """
    try:
        from smartcard import scard
    except ImportError:
        return False
    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    scard.SCardReleaseContext(ctx)
    return True


def vpcd_installed() -> bool:
    import glob

    return VPCD_CONF.exists() and bool(glob.glob(VPCD_DRIVER_GLOB))


def _virtual_readers() -> list[str]:
    from kiosk_client.card.pcsc import PcscReader

    try:
        return PcscReader("Virtual PCD").list_readers()
    except CardLayerError:
        return []


class PcscdService:
    """Ensures pcscd runs with the vpcd reader.

    Several test sessions may share one machine (and one pcscd): starting is serialised by a
    file lock, and every user holds a shared lock while it needs pcscd. ``close`` stops pcscd
    only if this service started it and no other user holds the shared lock.
    """

    def __init__(self, log_path: Path | None = None) -> None:
        self.proc: subprocess.Popen | None = None
        tmp = Path(tempfile.gettempdir())
        self.log_path = log_path or tmp / "kiosk-pcscd.log"
        self._start_lock = tmp / "kiosk-pcscd-start.lock"
        self._users_lock = tmp / "kiosk-pcscd-users.lock"
        self._users = None

    def ensure(self, timeout: float = 15.0) -> list[str]:
        """Return the names of the vpcd readers; raise PcscUnavailable with the reason."""
        if not vpcd_installed():
            raise PcscUnavailable(f"vsmartcard-vpcd is not installed ({VPCD_CONF} or driver missing)")
        self._users = open(self._users_lock, "a")  # noqa: SIM115 - held until close()
        fcntl.flock(self._users, fcntl.LOCK_SH)
        try:
            with open(self._start_lock, "a") as start_lock:
                fcntl.flock(start_lock, fcntl.LOCK_EX)  # released when the file closes
                if not pcscd_serving():
                    self._start()
                return self._wait_for_readers(timeout)
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        binary = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else None)
        if binary is None:
            raise PcscUnavailable("pcscd is not installed")
        if os.geteuid() != 0:
            raise PcscUnavailable("pcscd is not running and only root can start it here")
        if PCSCD_SOCKET.exists():
            PCSCD_SOCKET.unlink()  # left by a pcscd that died: it would refuse to start
        with open(self.log_path, "ab") as log:
            # A session of its own: a Ctrl-C in the terminal that started it must not take down a
            # daemon that other programs (tests, the demo, a kiosk) share.
            self.proc = subprocess.Popen([binary, "--foreground"], stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    def _wait_for_readers(self, timeout: float) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = _virtual_readers()
            if found:
                return found
            if self.proc is not None and self.proc.poll() is not None:
                raise PcscUnavailable(f"pcscd exited with {self.proc.returncode}; see {self.log_path}")
            time.sleep(0.1)
        raise PcscUnavailable(f"pcscd runs but lists no 'Virtual PCD' reader after {timeout:g} s "
                              "(was it started before vsmartcard-vpcd was installed?)")

    def close(self) -> None:
        proc, self.proc = self.proc, None
        users, self._users = self._users, None
        alone = False
        if users is not None:
            try:  # converting our shared lock to exclusive succeeds only if nobody else holds it
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                alone = True
            except BlockingIOError:
                alone = False
        if proc is not None:
            if proc.poll() is None and alone:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            elif proc.poll() is None:
                # Another session still uses it: leave it running; detach so no ResourceWarning.
                proc.returncode = 0
        if users is not None:
            users.close()


class PortLock:
    """Inter-process lock on one vpcd port: one virtual card per slot, whoever runs tests."""

    def __init__(self, port: int) -> None:
        self.path = Path(tempfile.gettempdir()) / f"kiosk-vpcd-{port}.lock"
        self._fh = None

    def acquire(self, timeout: float) -> bool:
        self._fh = open(self.path, "a")  # noqa: SIM115 - held open as long as the lock is
        with contextlib.suppress(OSError):   # root may create it; other users must still open it
            os.chmod(self.path, 0o666)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self._fh.close()
                    self._fh = None
                    return False
                time.sleep(0.2)

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def wait_card_state(reader: str, present: bool, timeout: float = 10.0) -> None:
    """Wait until pcscd reports the card in ``reader`` present (or gone)."""
    from kiosk_client.card.pcsc import PcscReader

    pr = PcscReader(reader)
    deadline = time.monotonic() + timeout
    while True:
        names = pr.list_readers()
        state = bool(names) and pr._card_present(names) is not None
        if state == present:
            return
        if time.monotonic() >= deadline:
            raise NoCard(f"{reader}: card still {'absent' if present else 'present'} after {timeout:g} s")
        time.sleep(0.05)
