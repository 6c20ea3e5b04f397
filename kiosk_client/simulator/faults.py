"""Faults the simulated card can be told to show, by name ("name" or "name:argument").

wrong_key         the card derives BAC/PACE keys from other MRZ data and another CAN, so
                  mutual authentication fails (6300) although the terminal is right.
altered_dg[:N]    DG N (13 by default, or 1) is changed after the SOD was signed: hash mismatch.
unknown_csca      the SOD is signed by a Document Signer of a CSCA the terminal does not trust.
expired_ds        the SOD is signed by a Document Signer whose certificate has expired.
cloned            correct data and SOD, but AA is signed with a key other than DG15's.
removed_mid_read[:N]  after N READ BINARY commands (default 3) the card is gone: in process
                  every APDU raises CardRemoved, over vpcd the socket is closed.
slow[:MS]         every APDU takes MS milliseconds more (default 200; --latency-ms also works).
malformed_tlv[:N] DG N (13 by default) has an outer TLV length longer than the file.
"""

from __future__ import annotations

from dataclasses import dataclass

FAULTS = {
    "wrong_key": None,
    "altered_dg": 13,
    "unknown_csca": None,
    "expired_ds": None,
    "cloned": None,
    "removed_mid_read": 3,
    "slow": 200,
    "malformed_tlv": 13,
}


@dataclass(frozen=True)
class Fault:
    name: str
    arg: int | None = None

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}:{self.arg}"


def parse_fault(spec: str | Fault | None) -> Fault | None:
    if spec is None or spec == "" or spec == "none":
        return None
    if isinstance(spec, Fault):
        return spec
    name, _, arg = spec.partition(":")
    name = name.strip().replace("-", "_")
    if name not in FAULTS:
        raise ValueError(f"unknown fault {name!r}; one of {', '.join(FAULTS)}")
    default = FAULTS[name]
    if arg:
        if default is None:
            raise ValueError(f"fault {name!r} takes no argument")
        try:
            value = int(arg)
        except ValueError:
            raise ValueError(f"fault argument must be an integer: {spec!r}") from None
    else:
        value = default
    if name in ("altered_dg", "malformed_tlv") and value not in (1, 2, 13, 14, 15):
        raise ValueError(f"{name} applies to DG 1, 2, 13, 14 or 15, not {value}")
    return Fault(name, value)
