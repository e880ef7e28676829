"""Extended attributes with HDFS's rules (XAttrHelper, XAttrCodec, XAttrPermissionFilter,
FSDirXAttrOp): names carry a namespace prefix, values travel encoded as text, hex or
base64, and only `user.` (and `trusted.` for the superuser) is open to clients."""

import base64
import binascii
import json
import string

from minicluster.webhdfs.errors import AccessControl, HadoopIllegalArgument, IOFailure
from minicluster.webhdfs.params import invalid
from minicluster.webhdfs.permissions import Caller

NAMESPACES = ("user", "trusted", "system", "security", "raw")
MAX_PER_INODE = 32  # dfs.namenode.fs-limits.max-xattrs-per-inode
MAX_SIZE = 16384  # dfs.namenode.fs-limits.max-xattr-size
ENCODINGS = ("TEXT", "HEX", "BASE64")
FLAGS = ("CREATE", "REPLACE")


def canonical(name: str | None) -> str:
    """The stored form of an xattr name: its namespace in lower case, a dot, the rest."""
    name = name or ""
    prefix, dot, rest = name.partition(".")
    refused = HadoopIllegalArgument("An XAttr name must be prefixed with "
                                    "user/trusted/security/system/raw, followed by a '.'")
    if not dot or len(prefix) < 3:
        raise refused
    if not rest:
        raise HadoopIllegalArgument("XAttr name cannot be empty.")
    if prefix.lower() not in NAMESPACES:
        raise refused
    return f"{prefix.lower()}.{rest}"


# The one security attribute a client may set: on a file, with no value, for good; the
# superuser may then not read the file.
UNREADABLE = "security.hdfs.unreadable.by.superuser"


def check_api(caller: Caller, name: str, value: bytes | None = None) -> None:
    """XAttrPermissionFilter.checkPermissionForApi; `value` when one is being set."""
    namespace = name.partition(".")[0]
    if namespace == "user" or (namespace == "trusted" and caller.superuser):
        return
    if name == UNREADABLE:
        if value:
            raise AccessControl(f"Attempt to set a value for '{UNREADABLE}'. Values are not "
                                "allowed for this xattr.")
        return
    raise AccessControl(f"User doesn't have permission for xattr: {name}")


def visible(caller: Caller, name: str) -> bool:
    namespace = name.partition(".")[0]
    return (namespace == "user" or name == UNREADABLE
            or (namespace == "trusted" and caller.superuser))


def decode(value: str | None) -> bytes:
    """XAttrCodec.decodeValue: 0x… is hex, 0s… base64, "…" quoted text, else text."""
    if value is None:
        return b""
    if value[:2] in ("0x", "0X"):
        return _hex(value[2:])
    if value[:2] in ("0s", "0S"):
        try:
            return base64.b64decode(value[2:])
        except (binascii.Error, ValueError) as error:
            raise IOFailure(f"java.lang.IllegalArgumentException: {error}") from error
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        value = value[1:-1]
    return value.encode()


def _hex(digits: str) -> bytes:
    """commons-codec's Hex.decodeHex, with its messages."""
    if len(digits) % 2:
        raise IOFailure("org.apache.commons.codec.DecoderException: Odd number of characters.")
    for index, char in enumerate(digits):
        if char not in string.hexdigits:
            raise IOFailure("org.apache.commons.codec.DecoderException: Illegal hexadecimal "
                            f"character {char} at index {index}")
    return bytes.fromhex(digits)


def encode(value: bytes, encoding: str) -> str:
    """XAttrCodec.encodeValue."""
    if encoding == "HEX":
        return "0x" + value.hex()
    if encoding == "BASE64":
        return "0s" + base64.b64encode(value).decode()
    return '"' + value.decode("utf-8", errors="replace") + '"'


def encoding_of(text: str) -> str:
    encoding = text.upper()
    if encoding not in ENCODINGS:
        raise invalid("encoding", f"No enum constant org.apache.hadoop.fs.XAttrCodec.{encoding}")
    return encoding


def flags_of(text: str) -> set[str]:
    flags = {flag.strip().upper() for flag in text.split(",") if flag.strip()}
    for flag in flags:
        if flag not in FLAGS:
            raise invalid("flag", f"No enum constant org.apache.hadoop.fs.XAttrSetFlag.{flag}")
    return flags


def check_size(name: str, value: bytes) -> None:
    size = len(name.partition(".")[2].encode()) + len(value)
    if size > MAX_SIZE:
        raise HadoopIllegalArgument(
            "The XAttr is too big. The maximum combined size of the name and value is "
            f"{MAX_SIZE}, but the total size is {size}")


def check_set(current: dict[str, bytes], name: str, value: bytes, flags: set[str]) -> None:
    """XAttrSetFlag.validate (which names the attribute without its namespace) and the
    count limit."""
    short = name.partition(".")[2]
    if name in current:
        if "REPLACE" not in flags:
            raise IOFailure(f"XAttr: {short} already exists. The REPLACE flag must be "
                            "specified.")
    elif "CREATE" not in flags:
        raise IOFailure(f"XAttr: {short} does not exist. The CREATE flag must be specified.")
    users = sum(1 for other in current if other.partition(".")[0] in ("user", "trusted"))
    if name not in current and users >= MAX_PER_INODE:
        raise IOFailure("Cannot add additional XAttr to inode, would exceed limit of "
                        f"{MAX_PER_INODE}")


def as_json(xattrs: dict[str, bytes], encoding: str) -> dict[str, list[dict[str, str | None]]]:
    """In the order given (the order asked for, when names were asked for); HDFS keeps
    an empty value as no value."""
    return {"XAttrs": [{"name": name, "value": encode(value, encoding) if value else None}
                       for name, value in xattrs.items()]}


def names_json(names: list[str]) -> dict[str, str]:
    # Hadoop sends the names as a JSON array inside a JSON string.
    return {"XAttrNames": json.dumps(sorted(names), separators=(",", ":"))}
