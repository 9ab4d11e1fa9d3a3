"""Stage 4, run: the only side effects: journal, executor, reconcile, uploads, retries."""
