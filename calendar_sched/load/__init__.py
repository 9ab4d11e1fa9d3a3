"""Stage 1, load: calendar files in every format into one row shape, dates, media, channels."""
