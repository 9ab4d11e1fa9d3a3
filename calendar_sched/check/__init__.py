"""Stage 2, check: every problem, row by row, with a stable code; per-provider rules."""
