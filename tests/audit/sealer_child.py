"""A sequencer in a separate process, for the kill test: it chains one batch of an org's
events inside an open transaction, says so, and waits to be killed before committing."""

from __future__ import annotations

import sys
import time
import uuid

from core import audit
from core.db import app_engine


def main() -> None:
    org_id = uuid.UUID(sys.argv[1])
    with app_engine().connect() as conn, conn.begin():
        n = audit.seal_batch(conn, org_id, limit=int(sys.argv[2]))
        print(f"sealed {n}, not committed", flush=True)
        time.sleep(600)


if __name__ == "__main__":
    main()
