"""Run the replay site by hand: python -m newsmon.crawler.replay [--port N] [--fault URL=KIND ...]"""

from __future__ import annotations

import argparse
import sys
import time

from newsmon.crawler.replay import FAULT_KINDS, replay_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m newsmon.crawler.replay", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port (default 8765)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="URL=KIND",
        help=f"inject a fault at a live URL or /host/path; KIND is one of {', '.join(FAULT_KINDS)}",
    )
    parser.add_argument("--list", action="store_true", help="print every live URL served and exit")
    args = parser.parse_args(argv)
    faults = {}
    for spec in args.fault:
        where, sep, kind = spec.rpartition("=")
        if not sep:
            parser.error(f"--fault {spec!r}: expected URL=KIND")
        faults[where] = kind
    with replay_server(args.port, faults) as server:
        if args.list:
            for route in sorted(server.routes.values(), key=lambda r: r.live_url):
                print(route.live_url)
            return 0
        print(f"replay site at {server.base_url}  (NEWSMON_BASE_URL={server.base_url})", flush=True)
        print("Ctrl-C stops it", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
