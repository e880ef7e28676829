"""LDAP (users, groups, tenants) through ldap3."""

from ldap3 import ALL, HASHED_SALTED_SHA, MODIFY_REPLACE, Connection, Server
from ldap3.core.exceptions import LDAPException
from ldap3.utils.hashed import hashed


class LdapError(Exception):
    """An LDAP server that does not answer or refuses a request; the message says which."""


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
