"""A simulated Vietnamese CCCD chip (ICAO 9303 eMRTD, TD1, VNM) for tests and demos.

    pki = make_test_pki(dir)                       # pki.py: CSCA, DS, fault variants, AA keys
    card = VirtualCard(load_profile(path), pki, access="both", fault=None)   # card.py
    InProcessTransport(card).transmit(apdu)        # inprocess.py: fast unit tests
    VpcdBridge(card).start()                       # vpcd.py: real pcscd via vsmartcard-vpcd

Command line (cli.py, mountable under exam-kiosk):
    python -m kiosk_client.simulator.cli make-test-pki /tmp/pki
    python -m kiosk_client.simulator.cli simulate-card --pki /tmp/pki [--access pace] [--fault cloned]
"""
