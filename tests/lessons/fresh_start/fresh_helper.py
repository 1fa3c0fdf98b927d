# Imported by fresh_start.py: its top level must run in every run.
RUNS = 1
