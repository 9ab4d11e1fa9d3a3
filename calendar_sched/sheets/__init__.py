"""Stage 5, sheets: results back to spreadsheets, and existing posts out as a calendar."""
