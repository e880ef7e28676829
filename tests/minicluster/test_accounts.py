"""The account Spark runs as: created once, handed its directories and nothing else."""

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from minicluster.accounts import SPARK_ACCOUNT, Account, ensure_account, hand_over, open_path

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root takes on other accounts")


@pytest.fixture
def account() -> Account:
    found = ensure_account(SPARK_ACCOUNT)
    assert found is not None
    return found


@pytest.fixture
def place() -> Iterator[Path]:
    # Not pytest's tmp_path: that is closed to other users.
    directory = Path(settings.VAR_DIR) / "accounts-test"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700)
    yield directory
    shutil.rmtree(directory)


def test_the_account_is_created_once_without_a_login(account: Account):
    assert ensure_account(SPARK_ACCOUNT) == account
    assert account.uid != 0 and account.gid != 0
    with open("/etc/passwd") as passwd:
        entry = next(line for line in passwd if line.startswith(f"{SPARK_ACCOUNT}:"))
    assert entry.rstrip().endswith(":/usr/sbin/nologin")


def test_hand_over_changes_links_in_the_tree_never_what_they_point_to(account: Account,
                                                                       place: Path):
    tree, outside = place / "warehouse", place / "secret"
    (tree / "db").mkdir(parents=True)
    (tree / "db" / "part-0").write_text("rows")
    outside.write_text("root's")
    (tree / "db" / "to-secret").symlink_to(outside)
    (tree / "to-place").symlink_to(place)

    hand_over(tree, account)

    for path in (tree, tree / "db", tree / "db" / "part-0", tree / "db" / "to-secret"):
        assert os.lstat(path).st_uid == account.uid, path
    assert stat.S_IMODE(tree.stat().st_mode) == 0o700
    assert outside.stat().st_uid == 0 and place.stat().st_uid == 0


def test_open_path_lets_the_account_pass_but_not_list(account: Account, place: Path):
    closed = [place, place / "site-a", place / "site-a" / "root"]
    open_already = place / "site-a" / "root" / "data"
    target = open_already / "warehouse"
    for directory in closed[1:]:
        directory.mkdir(mode=0o700)
    open_already.mkdir()
    open_already.chmod(0o755)  # mkdir's mode passes the process's umask (077)
    target.mkdir(mode=0o700)

    open_path(target, account, place)

    for passage in closed:
        status = passage.stat()
        assert (status.st_uid, status.st_gid) == (0, account.gid), passage
        assert stat.S_IMODE(status.st_mode) == 0o710, passage
    assert stat.S_IMODE(open_already.stat().st_mode) == 0o755
    assert open_already.stat().st_gid == 0
    assert target.stat().st_gid == 0  # the target itself is handed over, not opened
