"""Tables of this feature (being built: issue 4)."""
