"""Stage 3, plan: pack Posts into the fewest requests, in quota windows (pure)."""
