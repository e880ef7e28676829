"""The `hdfs` package's command line (hdfscli) moving a tree both ways with several
threads, configured the way its users configure it: an alias in a config file."""

import hashlib
import os
import random
import subprocess
import sys
from pathlib import Path

from tests.webhdfs.conftest import SUPERUSER, Site

FILES = 200


def make_tree(root: Path) -> dict[str, str]:
    """200 files in nested folders, some empty, some over one 64 KiB chunk; their
    relative paths and SHA-256."""
    rng = random.Random(20240601)
    digests = {}
    for index in range(FILES):
        relative = Path(f"dir{index % 7}") / f"sub{index % 3}" / f"file-{index:03d}.bin"
        size = 0 if index % 50 == 0 else rng.randrange(1, 150_000)
        data = rng.randbytes(size)
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
        digests[relative.as_posix()] = hashlib.sha256(data).hexdigest()
    return digests


def tree_digests(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in root.rglob("*") if path.is_file()}


def hdfscli(config: Path, *arguments: str) -> None:
    command = [str(Path(sys.executable).with_name("hdfscli")), *arguments]
    done = subprocess.run(command, env={**os.environ, "HDFSCLI_CONFIG": str(config)},
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"


def test_upload_and_download_a_tree_with_threads(site_a: Site, base: str,
                                                 tmp_path: Path) -> None:
    config = tmp_path / "hdfscli.cfg"
    config.write_text(
        "[global]\ndefault.alias = site-a\n\n"
        f"[site-a.alias]\nurl = {site_a.url}\nuser = {SUPERUSER}\n\n"
        # No log file in the system's temporary directory.
        "[hdfscli.command]\nlog.disable = true\n")
    source = tmp_path / "source"
    expected = make_tree(source)

    hdfscli(config, "upload", "--silent", "--threads", "8", str(source), f"{base}/tree")
    summary = site_a.client().content(f"{base}/tree")
    assert summary["fileCount"] == FILES

    hdfscli(config, "download", "--silent", "--threads", "8", f"{base}/tree",
            str(tmp_path / "copy"))
    assert tree_digests(tmp_path / "copy") == expected
