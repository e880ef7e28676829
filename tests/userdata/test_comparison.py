"""Comparing two directories: what the sync would write, and what it leaves to people."""

from userdata.comparison import Action, compare
from userdata.entries import TENANT, USER, fold, make_entry


def snapshot(*entries):
    found = {USER: {}, TENANT: {}}
    for entry in entries:
        found[entry.kind][fold(entry.key)] = entry
    return found


def user(uid, number, **values):
    return make_entry(USER, uid, cn=values.pop("cn", uid), sn="Doe", uidNumber=number, **values)


def actions(primary, secondary, remove=False):
    return {(d.kind.name, d.key): d.action for d in compare(primary, secondary, remove)}


def test_new_changed_and_equal_entries():
    primary = snapshot(user("alice", "2001", mail="a@x"), user("bob", "2002"),
                       make_entry(TENANT, "acme", gidNumber="3001", memberUid=["alice", "bob"]))
    secondary = snapshot(user("alice", "2001", mail="old@x"), user("bob", "2002"),
                         make_entry(TENANT, "acme", gidNumber="3001", memberUid=["alice"]))
    differences = compare(primary, secondary, remove=False)
    assert {(d.key, d.action) for d in differences} == {("alice", Action.UPDATE),
                                                        ("acme", Action.UPDATE)}
    by_key = {d.key: d for d in differences}
    assert by_key["alice"].changed == {"mail": (["old@x"], ["a@x"])}
    assert by_key["alice"].summary == "mail: old@x → a@x"
    assert by_key["acme"].summary == "members +bob"


def test_an_entry_under_a_new_name_with_its_number_is_a_rename():
    differences = compare(snapshot(user("alicia", "2001", cn="Alicia")),
                          snapshot(user("alice", "2001")), remove=False)
    [rename] = differences
    assert (rename.action, rename.key, rename.before.key) == (Action.RENAME, "alicia", "alice")
    assert rename.summary == "renamed from alice; cn: alice → Alicia"


def test_only_on_the_secondary_is_removed_only_when_removal_is_on():
    primary, secondary = snapshot(), snapshot(user("mallory", "2666"))
    assert actions(primary, secondary) == {("user", "mallory"): Action.KEEP}
    assert actions(primary, secondary, remove=True) == {("user", "mallory"): Action.REMOVE}


def test_one_name_with_two_numbers_is_a_conflict_never_an_update():
    [conflict] = compare(snapshot(user("bob", "2002")), snapshot(user("bob", "5002")),
                         remove=True, names=("site-a", "site-b"))
    assert conflict.action is Action.CONFLICT
    assert conflict.problem.startswith("user bob has uidNumber 2002 on site-a but 5002 on "
                                       "site-b")
    assert "Settle on one number" in conflict.problem


def test_a_new_entry_whose_number_another_holds_is_a_conflict():
    differences = compare(snapshot(user("carol", "2003"), user("eve", "2005")),
                          snapshot(user("eve", "2003")), remove=False,
                          names=("site-a", "site-b"))
    by_key = {d.key: d for d in differences}
    assert by_key["carol"].action is Action.CONFLICT
    assert "which eve holds on site-b" in by_key["carol"].problem
    assert by_key["eve"].action is Action.CONFLICT


def test_names_compare_without_regard_to_case():
    assert compare(snapshot(user("Alice", "2001", cn="A")), snapshot(user("alice", "2001", cn="A")),
                   remove=True) == []
