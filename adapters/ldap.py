"""LDAP (users, groups, tenants) through ldap3."""

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ldap3 import (
    ALL,
    ASYNC,
    BASE,
    HASHED_SALTED_SHA,
    LEVEL,
    MODIFY_ADD,
    MODIFY_DELETE,
    MODIFY_REPLACE,
    NONE,
    Connection,
    Server,
)
from ldap3.core.exceptions import LDAPBindError, LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn
from ldap3.utils.hashed import hashed

# The simple paged results control (RFC 2696): the server hands a search out a page at a
# time, so no directory is ever read in one answer of unbounded size.
PAGED_RESULTS = "1.2.840.113556.1.4.319"
SUCCESS = "success"


class LdapError(Exception):
    """An LDAP server that does not answer or refuses a request; the message says which."""


def rdn(attribute: str, value: str) -> str:
    """`attribute=value` with the value escaped as RFC 4514 asks."""
    return f"{attribute}={escape_rdn(value)}"


def any_of(attribute: str, values: Iterable[str]) -> str:
    """A filter matching entries whose `attribute` equals one of `values` (escaped as
    RFC 4515 asks)."""
    return "(|" + "".join(f"({attribute}={escape_filter_chars(v)})" for v in values) + ")"


def changed_since(moment: datetime) -> str:
    """A filter matching entries modified (or created) at `moment` or later."""
    return f"(modifyTimestamp>={moment.astimezone(UTC):%Y%m%d%H%M%SZ})"


@dataclass(frozen=True)
class LdapEntry:
    dn: str
    # Every value as text (the attributes the console reads are all strings or numbers).
    attributes: dict[str, list[str]]


@dataclass(frozen=True)
class Write:
    """One change of one entry.

    add: `attributes` and `object_classes` make the entry. modify: `attributes` are
    replaced (an empty list removes the attribute), `object_classes` added and
    `removed_classes` removed, in one request. rename: the entry's RDN becomes `new_rdn`.
    delete: the entry goes."""

    operation: str
    dn: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    object_classes: tuple[str, ...] = ()
    removed_classes: tuple[str, ...] = ()
    new_rdn: str = ""


@dataclass(frozen=True)
class WriteResult:
    write: Write
    # `success`, or the LDAP result's name: insufficientAccessRights, noSuchObject...
    code: str
    message: str

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS


class LdapSession:
    """One bound connection whose requests are pipelined (ldap3's asynchronous strategy):
    writes go out while earlier answers are on their way back."""

    def __init__(self, connection: Connection, url: str, timeout: float) -> None:
        self._connection = connection
        self.url = url
        self.timeout = timeout

    def _answer(self, message_id: int) -> tuple[list[dict], dict]:
        try:
            return self._connection.get_response(message_id, timeout=self.timeout)
        except LDAPException as error:
            raise LdapError(f"LDAP at {self.url} stopped answering: {error}") from error

    def _send(self, operation: str, *args, **kwargs) -> int:
        try:
            return getattr(self._connection, operation)(*args, **kwargs)
        except LDAPException as error:
            raise LdapError(f"LDAP at {self.url} stopped answering: {error}") from error

    def search(self, base: str, search_filter: str, attributes: list[str],
               page_size: int = 500) -> Iterator[LdapEntry]:
        """Every entry one level below `base` that matches, a page at a time; nothing
        when `base` does not exist."""
        cookie = None
        while True:
            message_id = self._send("search", base, search_filter, LEVEL,
                                    attributes=attributes, paged_size=page_size,
                                    paged_cookie=cookie)
            response, result = self._answer(message_id)
            if result["description"] == "noSuchObject":
                return
            if result["description"] != SUCCESS:
                raise LdapError(f"LDAP at {self.url} refused to search {base}: "
                                f"{_reason(result)}")
            for item in response:
                if item.get("type") == "searchResEntry":
                    yield LdapEntry(item["dn"], {
                        name: [value.decode("utf-8", "replace") for value in values]
                        for name, values in item["raw_attributes"].items()})
            cookie = result.get("controls", {}).get(PAGED_RESULTS, {}).get(
                "value", {}).get("cookie")
            if not cookie:
                return

    def exists(self, dn: str) -> bool:
        message_id = self._send("search", dn, "(objectClass=*)", BASE, attributes=["1.1"])
        _, result = self._answer(message_id)
        return result["description"] == SUCCESS

    def apply(self, writes: Iterable[Write], window: int = 128) -> Iterator[WriteResult]:
        """Send `writes` with up to `window` unanswered at once; yield each one's result
        in order. The writes must be independent of each other: the server may carry
        out pipelined requests in any order."""
        pending: deque[tuple[int, Write]] = deque()
        for write in writes:
            pending.append((self._send_write(write), write))
            if len(pending) >= window:
                yield self._result(*pending.popleft())
        while pending:
            yield self._result(*pending.popleft())

    def _send_write(self, write: Write) -> int:
        if write.operation == "add":
            return self._send("add", write.dn, list(write.object_classes), write.attributes)
        if write.operation == "modify":
            changes: dict[str, list[tuple]] = {
                name: [(MODIFY_REPLACE, values)] for name, values in write.attributes.items()}
            classes: list[tuple[str, list[str]]] = (
                [(MODIFY_ADD, list(write.object_classes))] if write.object_classes else [])
            if write.removed_classes:
                classes.append((MODIFY_DELETE, list(write.removed_classes)))
            if classes:
                changes["objectClass"] = classes
            return self._send("modify", write.dn, changes)
        if write.operation == "rename":
            return self._send("modify_dn", write.dn, write.new_rdn)
        if write.operation == "delete":
            return self._send("delete", write.dn)
        raise ValueError(f"unknown LDAP write {write.operation!r}")

    def _result(self, message_id: int, write: Write) -> WriteResult:
        _, result = self._answer(message_id)
        return WriteResult(write, result["description"], result.get("message") or "")


class Ldap:
    def __init__(self, url: str, bind_dn: str | None = None, password: str | None = None,
                 timeout: float = 3.0) -> None:
        self.url = url
        self.bind_dn = bind_dn
        self.password = password
        self.timeout = timeout

    def connect(self) -> Connection:
        server = Server(self.url, get_info=ALL, connect_timeout=self.timeout)
        try:
            return Connection(server, self.bind_dn, self.password, auto_bind=True,
                              receive_timeout=max(1, round(self.timeout)))
        except LDAPException as error:
            raise LdapError(f"LDAP at {self.url} does not answer: {error}") from error

    @contextmanager
    def session(self, timeout: float = 30.0) -> Iterator[LdapSession]:
        """A bound, pipelining session; `timeout`: seconds one answer may take."""
        server = Server(self.url, get_info=NONE, connect_timeout=self.timeout)
        try:
            connection = Connection(server, self.bind_dn, self.password, auto_bind=True,
                                    client_strategy=ASYNC)
            # ldap3 leaves the connect timeout on the socket, and its receiver thread
            # ends the session at the first quiet spell longer than that (a receive
            # timeout instead keeps it spinning on the closed socket after unbind). A
            # blocking socket waits; `timeout` bounds each answer in get_response.
            connection.socket.settimeout(None)
        except LDAPBindError as error:
            raise LdapError(f"LDAP at {self.url} refused the sign-in of {self.bind_dn}: "
                            f"{error}") from error
        except LDAPException as error:
            raise LdapError(f"LDAP at {self.url} does not answer: {error}") from error
        try:
            yield LdapSession(connection, self.url, timeout)
        finally:
            with suppress(LDAPException):  # the server went away: nothing is left to close
                connection.unbind()

    def ping(self) -> list[str]:
        """The naming contexts the server announces (anonymous bind)."""
        connection = self.connect()
        try:
            return [str(context) for context in connection.server.info.naming_contexts or []]
        finally:
            connection.unbind()

    def add(self, dn: str, object_classes: list[str], attributes: dict) -> None:
        """Add an entry; an entry that already exists is left as it is."""
        connection = self.connect()
        try:
            if not connection.add(dn, object_classes, attributes) and (
                connection.result["description"] != "entryAlreadyExists"
            ):
                reason = connection.result["message"] or connection.result["description"]
                raise LdapError(f"LDAP at {self.url} refused to add {dn}: {reason}")
        finally:
            connection.unbind()

    def set_password(self, dn: str, password: str) -> None:
        """Replace the entry's `userPassword`, stored salted and hashed ({SSHA})."""
        connection = self.connect()
        try:
            changes = {"userPassword": [(MODIFY_REPLACE, [hashed(HASHED_SALTED_SHA, password)])]}
            if not connection.modify(dn, changes):
                reason = connection.result["message"] or connection.result["description"]
                raise LdapError(f"LDAP at {self.url} refused to set the password of {dn}: "
                                f"{reason}")
        finally:
            connection.unbind()


def _reason(result: dict) -> str:
    return f"{result['description']}" + (f" ({result['message']})" if result.get("message")
                                         else "")
