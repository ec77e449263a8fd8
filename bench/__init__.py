"""`make bench`: speed and memory figures measured in one run, printed as ratios (never asserted in tests)."""
