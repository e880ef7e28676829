"""GETFILECHECKSUM as HDFS computes it: MD5 of the per-block MD5s of the CRC32C of
every 512-byte chunk (`MD5MD5CRC32CastagnoliFileChecksum`)."""

import hashlib
import mmap
import struct
from typing import Any, BinaryIO

import google_crc32c

BYTES_PER_CRC = 512
CHECKSUM_LENGTH = 28  # int bytesPerCRC + long crcPerBlock + 16-byte MD5
# Hadoop serialises the checksum into a DataOutputBuffer (32 bytes to start with) and
# sends the whole buffer, so the hex carries four zero bytes after the 28 that count.
SERIALISED_LENGTH = 32


def _block_crcs(view: mmap.mmap, start: int, end: int) -> bytes:
    """The big-endian CRC32C of each chunk of bytes start..end: what a datanode keeps
    in a block's metadata file.

    The file is mapped, not read: slicing the mapping makes each chunk's bytes in one
    step, where reading pieces first cost a buffer's page faults per MiB on top."""
    whole = end - (end - start) % BYTES_PER_CRC
    crc = google_crc32c.value
    values = [crc(view[at:at + BYTES_PER_CRC]) for at in range(start, whole, BYTES_PER_CRC)]
    if whole < end:
        values.append(crc(view[whole:end]))
    return struct.pack(f">{len(values)}I", *values)


def file_checksum(stream: BinaryIO, sizes: list[int]) -> dict[str, Any]:
    """The `FileChecksum` JSON of a file whose blocks have `sizes`."""
    if not sizes:
        # What HDFS answers for a file without blocks: a CRC32 (gzip) checksum of nothing.
        return _result(0, 0, "CRC32", hashlib.md5(bytes(32), usedforsecurity=False).digest())
    file_md5 = hashlib.md5(usedforsecurity=False)
    blocks = 0
    crc_per_block = 0
    with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as view:
        offset = 0
        for size in sizes:
            crcs = _block_crcs(view, offset, offset + size)
            offset += size
            if blocks == 0:
                crc_per_block = len(crcs) // 4
            file_md5.update(hashlib.md5(crcs, usedforsecurity=False).digest())
            blocks += 1
    # Hadoop reports the CRCs per block only when the file has more than one block.
    return _result(BYTES_PER_CRC, crc_per_block if blocks > 1 else 0, "CRC32C",
                   file_md5.digest())


def _result(bytes_per_crc: int, crc_per_block: int, crc_type: str, md5: bytes) -> dict[str, Any]:
    raw = struct.pack(">iq", bytes_per_crc, crc_per_block) + md5
    raw = raw.ljust(SERIALISED_LENGTH, b"\0")
    return {
        "algorithm": f"MD5-of-{crc_per_block}MD5-of-{bytes_per_crc}{crc_type}",
        "bytes": raw.hex(),
        "length": CHECKSUM_LENGTH,
    }
