"""The PostSyncer REST API: its client, backend and payload shapes."""
