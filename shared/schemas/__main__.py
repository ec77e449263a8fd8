"""`python -m shared.schemas` (make schemas): re-export the event JSON Schemas."""

from __future__ import annotations

import sys

from shared.schemas import write_all

if __name__ == "__main__":
    for path in write_all():
        sys.stdout.write(f"wrote {path}\n")
