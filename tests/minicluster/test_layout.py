"""The mini cluster's layout: one LDAP password per mini cluster, however it is asked."""

import threading
from pathlib import Path

from minicluster.layout import Layout


def _ask_twice_at_once(layout: Layout) -> list[str]:
    start = threading.Barrier(2)
    passwords: list[str] = []

    def ask() -> None:
        start.wait()
        passwords.append(layout.ldap_password())

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return passwords


def test_sites_prepared_at_once_share_one_ldap_password(tmp_path: Path) -> None:
    """`minicluster up` prepares both sites' slapd on two threads at once."""
    for attempt in range(100):
        layout = Layout.build(tmp_path / f"minicluster-{attempt}", offset=0)
        passwords = _ask_twice_at_once(layout)
        stored = (layout.var_dir / "ldap-admin-password").read_text()
        assert passwords == [stored, stored], attempt
        assert (layout.var_dir / "ldap-admin-password").stat().st_mode & 0o777 == 0o600
