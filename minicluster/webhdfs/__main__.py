"""`python -m minicluster.webhdfs`: one cluster's namenode and datanode until SIGTERM."""

import argparse
import asyncio
import logging
import signal
from pathlib import Path

from aiohttp import web

from minicluster.webhdfs.app import DATANODE_OPS, NAMENODE_OPS, Cluster, build_app
from minicluster.webhdfs.namespace import Settings
from minicluster.webhdfs.standby import Standby
from minicluster.webhdfs.upload import UploadLimits


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m minicluster.webhdfs", description=__doc__)
    parser.add_argument("--root", type=Path, required=True, help="directory served as /")
    parser.add_argument("--state", type=Path, required=True,
                        help="metadata and snapshots; outside --root, on the same filesystem")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--namenode-port", type=int, required=True)
    parser.add_argument("--datanode-port", type=int, required=True)
    parser.add_argument("--superuser", required=True)
    parser.add_argument("--zookeeper", help="the cluster's ZooKeeper (host:port): while the "
                        "identity there says secondary, application users may not write")
    parser.add_argument("--default-owner", help="owner of files written behind WebHDFS's back "
                        "(default: the superuser)")
    parser.add_argument("--default-group", default="supergroup")
    parser.add_argument("--capacity", type=int, help="bytes GETSTATUS reports as the "
                        "cluster's capacity (default: the disk's); space used is what the "
                        "root holds")
    parser.add_argument("--groups", type=Path, help='JSON {"user": ["group", ...]}; users it '
                        "does not name get their operating-system groups")
    defaults = UploadLimits()
    parser.add_argument("--upload-idle-timeout", type=float, default=defaults.idle_timeout_s,
                        help="seconds an upload may send nothing before it is given up "
                        "(default %(default)s)")
    parser.add_argument("--upload-min-rate", type=int, default=defaults.min_rate,
                        help="bytes/s an upload must keep up beyond its idle timeout "
                        "(default %(default)s)")
    parser.add_argument("--uploads-per-client", type=int, default=defaults.per_client,
                        help="uploads one client address may send at once "
                        "(default %(default)s)")
    return parser.parse_args(argv)


HEADER_LIMIT = 64 * 1024


async def serve(args: argparse.Namespace) -> None:
    settings = Settings(
        root=args.root.resolve(), state=args.state.resolve(), superuser=args.superuser,
        default_owner=args.default_owner or args.superuser, default_group=args.default_group,
        groups_file=args.groups,
    )
    limits = UploadLimits(args.upload_idle_timeout, args.upload_min_rate,
                          args.uploads_per_client)
    cluster = Cluster(settings, args.host, args.namenode_port, args.datanode_port, limits,
                      Standby(args.zookeeper), capacity=args.capacity)
    # Hadoop's HTTP server takes request lines and headers of up to 64 KiB; its client
    # sends an extended attribute's value (16 KiB at most) hex-encoded in the URL.
    runners = [web.AppRunner(build_app(cluster, ops), access_log=None,
                             max_line_size=HEADER_LIMIT, max_field_size=HEADER_LIMIT)
               for ops in (NAMENODE_OPS, DATANODE_OPS)]
    for runner, port in zip(runners, (args.namenode_port, args.datanode_port), strict=True):
        await runner.setup()
        await web.TCPSite(runner, args.host, port).start()
    logging.info("WebHDFS namenode on %s:%d, datanode on %s:%d, root %s", args.host,
                 args.namenode_port, args.host, args.datanode_port, settings.root)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()
    cluster.close()
    logging.info("WebHDFS stopped")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    asyncio.run(serve(parse_args()))


if __name__ == "__main__":
    main()
