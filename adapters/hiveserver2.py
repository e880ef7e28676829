"""HiveServer2 (Hive, or the Spark Thrift Server) over its Thrift protocol, via pyhive."""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

import thrift_sasl
from pyhive import hive
from thrift.transport.TSocket import TSocket
from thrift.transport.TTransport import TBufferedTransport, TTransportBase, TTransportException

log = logging.getLogger(__name__)


class HiveServer2Error(Exception):
    """A HiveServer2 that does not answer or refuses a statement; the message says which."""


class Queries(Protocol):
    """What runs statements: a client (a session per statement) or one session."""

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple]: ...


class HiveServer2:
    """A client; with a password it signs in (SASL PLAIN, checked by the server against
    LDAP), without one it connects unauthenticated (NOSASL) as `user`."""

    def __init__(self, host: str, port: int, user: str, password: str = "",
                 timeout: float = 120.0) -> None:
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        # Seconds that connecting, or any one read or write of a statement, may stall: a
        # hung server fails the call instead of hanging the round, page or pairing.
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"HiveServer2({self.host}:{self.port} as {self.user})"

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement on a fresh connection and return its rows (empty for DDL)."""
        with self.session() as session:
            return session.query(sql, parameters)

    @contextmanager
    def session(self) -> Iterator["HiveSession"]:
        """One connection for several statements: each session costs the server a sign-in
        and a Spark session, which a page or round running many statements pays once."""
        connection = self._connect()
        try:
            yield HiveSession(self, connection)
        finally:
            _close(connection)

    def _connect(self) -> hive.Connection:
        try:
            return hive.connect(thrift_transport=self._transport(), username=self.user)
        except (TTransportException, OSError) as error:
            raise HiveServer2Error(f"HiveServer2 at {self.host}:{self.port} "
                                   f"{self._refusal(str(error))}") from error

    def _transport(self) -> TTransportBase:
        """What pyhive builds for NOSASL and LDAP (SASL PLAIN), with a socket timeout:
        pyhive's own socket has none."""
        socket = TSocket(self.host, self.port)
        socket.setTimeout(self.timeout * 1000)
        if not self._password:
            return TBufferedTransport(socket)
        return thrift_sasl.TSaslClientTransport(
            lambda: hive.get_installed_sasl(host=self.host, sasl_auth="PLAIN",
                                            username=self.user, password=self._password),
            "PLAIN", socket)

    def _refusal(self, reason: str) -> str:
        """Why a connection failed, in words that say what to change."""
        if self._password and "Error validating" in reason:
            return (f"refused the password of {self.user}: check the cluster's HiveServer2 "
                    "password")
        if not self._password and "read 0 bytes" in reason:
            return ("closed the connection without answering: it probably requires a "
                    "password; set the cluster's HiveServer2 password")
        return f"does not answer: {reason}"

    def ping(self) -> bool:
        try:
            return self.query("SELECT 1") == [(1,)]
        except HiveServer2Error:
            return False


class HiveSession:
    """Statements run one after another on one connection (not shared across threads)."""

    def __init__(self, server: HiveServer2, connection: hive.Connection) -> None:
        self.server = server
        self._connection = connection

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple]:
        """Run one statement and return its rows (empty for DDL)."""
        server = self.server
        try:
            cursor = self._connection.cursor()
            cursor.execute(sql, parameters)
            return cursor.fetchall() if cursor.description else []
        except (TTransportException, OSError) as error:  # the server stalled or went away
            raise HiveServer2Error(
                f"HiveServer2 at {server.host}:{server.port} stopped answering during "
                f"{sql.split()[0]} (timeout {server.timeout:g} s): {error}") from error
        except hive.Error as error:
            raise HiveServer2Error(
                f"HiveServer2 refused {sql.split()[0]}: {_reason(error)}"
            ) from error


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
