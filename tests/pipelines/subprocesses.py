"""Programs the concurrency tests run as ``python -m tests.pipelines.subprocesses COMMAND ARG``.

``etl PREFIX``     runs the ETL, printing each progress line, and stalls for a minute after the
                   first line starting with PREFIX, so a test can kill it at a known step.
``read STOP_FILE`` queries the published warehouse in a loop until STOP_FILE exists, printing one
                   line per read, and exits 1 on the first error or inconsistent read.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from core.settings import get_settings

CONSISTENT_READ = """
SELECT (SELECT count(*) FROM fct_repairs),
       (SELECT count(*) FROM stg_repairs),
       (SELECT count(*) FROM fct_status_events),
       (SELECT count(*) FROM etl_runs WHERE status = 'success')
"""


def run_stalling_etl(prefix: str) -> None:
    from pipelines.run import run_etl

    def stall_at_prefix(message: str) -> None:
        print(message, flush=True)
        if message.startswith(prefix):
            time.sleep(60)

    run_etl(get_settings(), progress=stall_at_prefix)


def read_until(stop_file: Path) -> int:
    from warehouse.reader import connect_read_only, warehouse_version

    settings = get_settings()
    while not stop_file.exists():
        try:
            version = warehouse_version(settings)
            with connect_read_only(settings) as con:
                repairs, staged, events, runs = con.execute(CONSISTENT_READ).fetchall()[0]
        except Exception as error:  # report any failure to the test, then stop
            print(f"ERROR {type(error).__name__}: {error}", flush=True)
            return 1
        print(f"{version} {repairs} {events} {runs}", flush=True)
        if repairs != staged or events != 7 * repairs:
            print(f"INCONSISTENT {repairs} {staged} {events}", flush=True)
            return 1
    return 0


if __name__ == "__main__":
    command, argument = sys.argv[1], sys.argv[2]
    if command == "etl":
        run_stalling_etl(argument)
    else:
        sys.exit(read_until(Path(argument)))
