"""Check-in at the exam kiosk: enrolled kiosks send signed chip evidence; the server re-verifies it
(passive and active authentication, roster match, face comparison) and issues the session token."""
