"""``python -m examples.sensors init|import|append --db PATH``: make, fill and feed a sensors database."""

import argparse
import sys
import time

from . import db


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _interval(text: str) -> float:
    value = _positive(text)
    if value < 1:  # timestamps are whole seconds: one reading per sensor and second
        raise argparse.ArgumentTypeError(f"must be >= 1 second, got {text!r}")
    return value


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m examples.sensors", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="create a database of synthetic readings, one per minute per sensor")
    init.add_argument("--db", required=True, help="SQLite file to create")
    init.add_argument("--sensors", type=int, default=3, help=f"number of sensors, 1 to {db.MAX_SENSORS} (default 3)")
    init.add_argument("--days", type=int, default=30, help=f"days of history up to now, 1 to {db.MAX_DAYS} (default 30)")
    init.add_argument("--seed", type=int, default=0, help="the same seed gives the same values (default 0)")
    init.add_argument("--now", help="end of the history, ISO 8601 (default: the current time); for reproducible files")
    init.add_argument("--force", action="store_true", help="replace an existing file")

    load = commands.add_parser("import", help="add the rows of a CSV file sensor,timestamp,value (all or nothing)")
    load.add_argument("--db", required=True)
    load.add_argument("csv", help="CSV file with the header sensor,timestamp,value; timestamps ISO 8601 or epoch seconds")

    feed = commands.add_parser("append", help="append one reading per sensor every interval (the live writer)")
    feed.add_argument("--db", required=True)
    feed.add_argument("--interval", type=_interval, default=1.0, help="seconds between readings (default 1, at least 1)")
    feed.add_argument("--seconds", type=_positive, help="stop after this many seconds (default: run until SIGINT/SIGTERM)")
    feed.add_argument("--seed", type=int, help="seed of the random steps (default: random)")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "init":
            now = None if args.now is None else db.parse_timestamp(args.now)
            rows = db.create(args.db, sensors=args.sensors, days=args.days, seed=args.seed, now=now, force=args.force)
            print(f"{args.db}: {rows} readings of {args.sensors} sensors over {args.days} days")
        elif args.command == "import":
            rows = db.import_csv(args.db, args.csv)
            print(f"{args.db}: {rows} readings imported from {args.csv}")
        else:
            started = time.monotonic()
            print(f"{args.db}: appending every {args.interval:g} s; Ctrl-C to stop", flush=True)
            commits = db.append(args.db, interval=args.interval, seconds=args.seconds, seed=args.seed)
            print(f"{args.db}: {commits} commits in {time.monotonic() - started:.1f} s", flush=True)
    except (ValueError, FileExistsError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
