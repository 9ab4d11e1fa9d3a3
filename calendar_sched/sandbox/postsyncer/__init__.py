"""The PostSyncer flavour of the sandbox: a REST API v1 emulator (Bearer tokens, 60/min)."""
