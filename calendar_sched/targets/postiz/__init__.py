"""The Postiz Public API: its client and backend."""
