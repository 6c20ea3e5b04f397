"""Background jobs: long work (imports, exports, assembly, recomputations) off the request path."""
