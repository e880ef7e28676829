"""1 GiB through the `hdfs` client into and out of the embedded WebHDFS server, against
`cp` of the same file on the same disk, with the server's memory watched throughout.

Each direction and the baseline run alternately, five times, and the best run of each
counts: on a virtual machine whose memory the host reclaims, the other runs mostly
measure page faults in the host, which hit `cp` and the server alike but not evenly.
Every timed step starts after `sync`, so no run pays for an earlier run's writeback,
and is timed twice: when the last byte is handed over (in the page cache) and when the
written file is on disk (fsync). The targets are judged on the second, the time to a
durable copy, which is what a backup needs; `cp` copies inside the kernel
(copy_file_range), so against the page cache alone it is a memory-copy benchmark.
"""

import json
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hdfs import InsecureClient

from adapters.webhdfs import UPLOAD_BLOCKSIZE, upload_session
from minicluster.webhdfs import launcher

SIZE = 1024 * 1024 * 1024
CHUNK = 4 * 1024 * 1024
# urllib3 sends a file body in 16 KiB reads and sends by default, which costs the client
# about as much CPU as the server spends receiving; a bulk uploader raises it.
ROUNDS = 5
SUPERUSER = "lockstep"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class PeakRss(threading.Thread):
    """Samples a process's resident memory until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = rss_kib(pid)
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, rss_kib(self.pid))

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak


def timed(step: Callable[[], None], written: Path) -> tuple[float, float]:
    """Seconds until `step` returns, and until the file it wrote is on disk."""
    os.sync()
    start = time.perf_counter()
    step()
    handed_over = time.perf_counter() - start
    with open(written, "rb") as out:
        os.fsync(out.fileno())
    return handed_over, time.perf_counter() - start


def make_source(path: Path) -> None:
    with open(path, "wb") as out:
        for _ in range(SIZE // CHUNK):
            out.write(os.urandom(CHUNK))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="webhdfs-bench-") as tmp:
        work = Path(tmp)
        source, copy, download = work / "source.bin", work / "copy.bin", work / "download.bin"
        make_source(source)
        (work / "root").mkdir()
        namenode, datanode = launcher.free_port(), launcher.free_port()
        server = launcher.start(work / "root", work / "state", namenode, datanode, SUPERUSER)
        try:
            url = f"http://127.0.0.1:{namenode}"
            launcher.wait_ready(url, timeout=30, process=server)
            client = InsecureClient(url, user=SUPERUSER, session=upload_session())
            client.makedirs("/bench")
            start_rss = rss_kib(server.pid)
            watcher = PeakRss(server.pid)
            watcher.start()

            def upload() -> None:
                with open(source, "rb") as data:
                    client.write("/bench/big.bin", data=data)

            def fetch() -> None:
                with client.read("/bench/big.bin", chunk_size=CHUNK) as chunks, \
                        open(download, "wb") as out:
                    for chunk in chunks:
                        out.write(chunk)

            def cp() -> None:
                subprocess.run(["cp", str(source), str(copy)], check=True)

            stored = work / "root" / "bench" / "big.bin"
            runs: dict[str, list[tuple[float, float]]] = {"cp": [], "write": [], "read": []}
            for _ in range(ROUNDS):
                copy.unlink(missing_ok=True)
                runs["cp"].append(timed(cp, copy))
                # As for cp: freeing the previous 1 GiB is not part of the copy.
                client.delete("/bench/big.bin")
                runs["write"].append(timed(upload, stored))
                download.unlink(missing_ok=True)
                runs["read"].append(timed(fetch, download))
            peak_rss = watcher.stop()
            assert download.stat().st_size == SIZE
            assert client.status("/bench/big.bin")["length"] == SIZE
        finally:
            launcher.stop(server)
    report(runs, (peak_rss - start_rss) / 1024)


def best(runs: list[tuple[float, float]], durable: bool) -> float:
    return min(run[durable] for run in runs)


def report(runs: dict[str, list[tuple[float, float]]], growth_mb: float) -> None:
    cp_s, write_s, read_s = (best(runs[k], True) for k in ("cp", "write", "read"))
    cached = {k: best(runs[k], False) for k in runs}
    figures = {
        "timed_to": "fsync of the written file, for cp, write and read alike",
        "client": f"hdfs.InsecureClient, uploads sent in {UPLOAD_BLOCKSIZE // 1024} KiB pieces",
        "write_s": round(write_s, 3), "read_s": round(read_s, 3),
        "write_MBps": round(SIZE / write_s / 1e6), "read_MBps": round(SIZE / read_s / 1e6),
        "write_ratio": round(cp_s / write_s, 3), "read_ratio": round(cp_s / read_s, 3),
        "server_rss_growth_MB": round(growth_mb, 1),
        "page_cache_only": {
            "write_s": round(cached["write"], 3), "read_s": round(cached["read"], 3),
            "cp_s": round(cached["cp"], 3),
            "write_ratio": round(cached["cp"] / cached["write"], 3),
            "read_ratio": round(cached["cp"] / cached["read"], 3),
        },
        "runs_s": {k: [[round(t, 3) for t in run] for run in v] for k, v in runs.items()},
    }
    targets = {"write_ratio": ">= 0.5", "read_ratio": ">= 0.5", "server_rss_growth_MB": "< 100"}
    met = cp_s / write_s >= 0.5 and cp_s / read_s >= 0.5 and growth_mb < 100
    print(json.dumps({"benchmark": "webhdfs_throughput", "figures": figures,
                      "baseline": {"cp_s": round(cp_s, 3), "cp_MBps": round(SIZE / cp_s / 1e6),
                                   "bytes": SIZE, "method": "cp, timed to fsync"},
                      "targets": targets, "met": met}))


if __name__ == "__main__":
    main()
