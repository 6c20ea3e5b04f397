"""Short manual admission codes: what a proctor reads out and a candidate types (issue 10)."""
