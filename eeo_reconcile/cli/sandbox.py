"""`eeo-reconcile sandbox`: a local ClassIn for rehearsals and tests."""

from __future__ import annotations

import logging
import signal
import sys

import click

from .exits import handle_errors
from .view import err


@click.command()
@click.option("--world", "world_path", type=click.Path(exists=True, dir_okay=False),
              help="World file (YAML). Default: a built-in demo world matching examples/school/.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8750, show_default=True,
              help="Port (0: any free port; the URL is printed).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the faults.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Delay before every answer.")
@click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of calls answered with a transient errno, not applied.")
@click.option("--fault-errnos", default="114,104,464", show_default=True,
              help="Transient errnos to answer with (comma separated).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Share of calls applied, then left without an answer (connection closed).")
@click.option("--drop-actions", default="", metavar="ACTIONS",
              help="Drop only these actions (comma separated; default: any).")
@click.option("--max-concurrent", type=click.IntRange(min=0), default=0, show_default=True,
              help="Beyond this many addCourseStudentMultiple requests in flight for one "
                   "course, answer 464 without applying (0: no limit).")
@click.option("--quiet", is_flag=True, help="Do not log one line per call.")
@handle_errors
def sandbox(world_path: str | None, host: str, port: int, seed: int, latency_ms: float,
            fault_rate: float, fault_errnos: str, drop_rate: float, drop_actions: str,
            max_concurrent: int, quiet: bool) -> None:
    """Run a local ClassIn (the partner API) for rehearsals and tests."""
    # imported here: the other commands should not pay for the server's start-up
    from ..sandbox.engine import ACTIONS
    from ..sandbox.server import Faults, Sandbox, serve
    from ..sandbox.world import load_world

    try:
        errnos = tuple(int(x) for x in fault_errnos.split(",") if x.strip())
    except ValueError:
        raise click.BadParameter("give numbers, e.g. 114,104,464",
                                 param_hint="--fault-errnos") from None
    dropped = frozenset(a.strip() for a in drop_actions.split(",") if a.strip())
    unknown = dropped - set(ACTIONS)
    if unknown:
        raise click.BadParameter(f"unknown action(s): {', '.join(sorted(unknown))}",
                                 param_hint="--drop-actions")
    world = load_world(world_path)  # fail now, not on the first request
    sb = Sandbox(lambda: load_world(world_path),
                 Faults(latency_ms, fault_rate, errnos or (114,), drop_rate, seed, dropped,
                        max_concurrent))
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
        format="%(asctime)s %(message)s", datefmt="%H:%M:%S",
    )
    server = serve(sb, host, port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    err(f"eeo-reconcile sandbox listening on {server.url} (school {world.sid}, "
         f"world: {world_path or 'built-in demo'}). Point EEO_API_URL there; Ctrl-C stops it.")
    sys.stderr.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()
