"""Helpers shared by the kiosk tests (a module, so tests never import a 'conftest' by name)."""

from __future__ import annotations


def qr_text(profile) -> str:
    """The CCCD front QR payload of a simulator profile."""
    return "|".join([profile.id_number, profile.old_id_number, profile.full_name,
                     profile.date_of_birth.strftime("%d%m%Y"), profile.sex, profile.place_of_residence,
                     profile.date_of_issue.strftime("%d%m%Y")])
