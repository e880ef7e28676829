"""HiveServer2 (Hive, or the Spark Thrift Server) over its Thrift protocol, via pyhive."""

import logging
from collections.abc import Sequence
from typing import Any

from pyhive import hive
from thrift.transport.TTransport import TTransportException

log = logging.getLogger(__name__)


class HiveServer2Error(Exception):
    """A HiveServer2 that does not answer or refuses a statement; the message says which."""


class HiveServer2:
    def __init__(self, host: str, port: int, user: str) -> None:
        self.host = host
        self.port = port
        self.user = user

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement on a fresh connection and return its rows (empty for DDL)."""
        try:
            connection = hive.connect(
                host=self.host, port=self.port, username=self.user, auth="NOSASL"
            )
        except (TTransportException, OSError) as error:
            raise HiveServer2Error(
                f"HiveServer2 at {self.host}:{self.port} does not answer: {error}"
            ) from error
        try:
            cursor = connection.cursor()
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []
        except hive.Error as error:
            raise HiveServer2Error(
                f"HiveServer2 refused {sql.split()[0]}: {_reason(error)}"
            ) from error
        finally:
            _close(connection)

    def ping(self) -> bool:
        try:
            return self.query("SELECT 1") == [(1,)]
        except HiveServer2Error:
            return False


def _close(connection: hive.Connection) -> None:
    """Close a session; the statement's outcome is already known, so a failing close is
    only logged (the Spark Thrift Server sometimes throws NoClassDefFoundError there)."""
    try:
        connection.close()
    except (hive.Error, TTransportException, OSError) as error:
        log.warning("closing a HiveServer2 session failed: %s", _reason(error))


def _reason(error: Exception) -> str:
    """The server's one-line reason, without the Java stack and query plan pyhive carries."""
    status = getattr(error.args[0], "status", None) if error.args else None
    message = getattr(status, "errorMessage", None) or str(error)
    return message.removeprefix("Error running query: ").split("\n", 1)[0]
