"""GETFILECHECKSUM: HDFS's MD5-of-MD5-of-CRC32C, byte for byte."""

import hashlib
import struct

import google_crc32c
import pytest

from tests.webhdfs.conftest import Site

MIB = 1024 * 1024


def expected(data: bytes, block_size: int) -> str:
    """The checksum written out from Hadoop's definition, as an independent oracle."""
    block_md5s = b""
    blocks = [data[i:i + block_size] for i in range(0, len(data), block_size)]
    for block in blocks:
        crcs = b"".join(struct.pack(">I", google_crc32c.value(block[i:i + 512]))
                        for i in range(0, len(block), 512))
        block_md5s += hashlib.md5(crcs, usedforsecurity=False).digest()
    crc_per_block = block_size // 512 if len(blocks) > 1 else 0
    file_md5 = hashlib.md5(block_md5s, usedforsecurity=False).digest()
    return (struct.pack(">iq", 512, crc_per_block) + file_md5 + bytes(4)).hex()


def test_crc32c_is_castagnoli() -> None:
    assert google_crc32c.value(b"123456789") == 0xE3069283


def test_empty_file_has_hadoops_magic_checksum(site_a: Site, base: str) -> None:
    site_a.client().write(f"{base}/empty", data=b"")
    assert site_a.client().checksum(f"{base}/empty") == {
        "algorithm": "MD5-of-0MD5-of-0CRC32",
        "bytes": "000000000000000000000000" "70bc8f4b72a86921468bf8e8441dce51" "00000000",
        "length": 28,
    }


@pytest.mark.parametrize("size", [1, 511, 512, 513, 100_000])
def test_single_block_files(site_a: Site, base: str, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    site_a.client().write(f"{base}/f", data=data, overwrite=True)
    checksum = site_a.client().checksum(f"{base}/f")
    assert checksum == {"algorithm": "MD5-of-0MD5-of-512CRC32C",
                        "bytes": expected(data, 128 * MIB), "length": 28}


def test_multi_block_files_report_crcs_per_block(site_a: Site, base: str) -> None:
    data = bytes(range(251)) * (10 * MIB // 4 // 251)
    site_a.client().write(f"{base}/big", data=data, blocksize=MIB)
    checksum = site_a.client().checksum(f"{base}/big")
    assert checksum["algorithm"] == "MD5-of-2048MD5-of-512CRC32C"
    assert checksum["bytes"] == expected(data, MIB)


def test_checksums_agree_across_sites_only_with_the_same_block_size(
        site_a: Site, site_b: Site, base: str) -> None:
    data = b"same bytes" * 300_000
    site_a.client().write(f"{base}/f", data=data)
    site_b.client().write(f"{base}/f", data=data, overwrite=True)
    site_b.client().write(f"{base}/small-blocks", data=data, overwrite=True, blocksize=MIB)
    assert site_a.client().checksum(f"{base}/f") == site_b.client().checksum(f"{base}/f")
    assert (site_a.client().checksum(f"{base}/f")
            != site_b.client().checksum(f"{base}/small-blocks"))


def test_snapshot_files_have_checksums(site_a: Site, base: str) -> None:
    client = site_a.client()
    client.write(f"{base}/d/f", data=b"before")
    client.allow_snapshot(f"{base}/d")
    client.create_snapshot(f"{base}/d", "s1")
    client.write(f"{base}/d/f", data=b"after", overwrite=True)
    assert client.checksum(f"{base}/d/.snapshot/s1/f")["bytes"] == expected(b"before", 128 * MIB)


def test_block_size_below_the_minimum_is_refused(site_a: Site, base: str) -> None:
    reply = site_a.call("PUT", f"{base}/f", "CREATE", blocksize=4096)
    assert reply.status_code == 403
    assert "min-block-size" in reply.json()["RemoteException"]["message"]
