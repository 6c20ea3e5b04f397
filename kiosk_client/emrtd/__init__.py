"""ICAO Doc 9303 eMRTD library (reader side + card-side primitives), no hardware.

Modules:
  apdu          CommandAPDU / ResponseAPDU / CardError (ISO 7816-4)
  tlv           BER-TLV encode/decode (strict and tolerant), TlvError
  crypto        padding, KDF, 3DES, retail MAC, AES-CBC, AES-CMAC
  sm            SecureMessaging (3DES/AES; terminal and card side)
  mrz           check digits, TD1 parsing/building, MRZ information
  bac           Basic Access Control (terminal + card helpers)
  ec            prime-curve point arithmetic, standard PACE curves
  secinfo       SecurityInfos (EF.CardAccess, DG14), OIDs
  pace          PACE v2 ECDH generic mapping (terminal + chip)
  chip_auth     Chip Authentication (ECDH) from DG14
  lds           EF.COM, DG1, DG2, DG13 (Vietnam), DG14, DG15 parsing
  lds_build     LDS encoders (simulator personalisation, tests)
  sod           EF.SOD parsing and building
  passive_auth  Passive Authentication against a CSCA trust store
  active_auth   Active Authentication verify (pure) and sign (card side)
  pubkey        SubjectPublicKeyInfo loading incl. explicit EC parameters
  reader        EmrtdReader over a CardTransport (transmit(bytes) -> bytes)
"""
