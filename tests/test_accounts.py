"""Accounts and roles (issue 26): stored in the catalog's SQLite with PBKDF2 hashes, enforced by the
service for every route, managed by an administrator in the app and on the command line, every
change audited with its user. Real catalog, model, photos and database."""

from __future__ import annotations

import subprocess

import pytest

from conftest import PYTHON, ROOT, demo_photo


@pytest.fixture(scope="module")
def agency(demo_catalog_dir, offline_embedder, tmp_path_factory):
    """A service over the catalog's accounts: the environment's admin, two inspectors of unit A
    and B, a supervisor of unit A and the brand owner of Oatly."""
    from conftest import copy_catalog
    from index import Catalog, Verifier
    from ui.accounts import Accounts
    from ui.auth import Users
    from ui.service import Service

    folder = tmp_path_factory.mktemp("agency")
    catalog = copy_catalog(demo_catalog_dir, folder / "catalog")
    accounts = Accounts(catalog, bootstrap=Users({"VERIFIER_ADMIN_USER": "admin", "VERIFIER_ADMIN_PASSWORD": "s3cret-admin"}))
    service = Service(Verifier(Catalog.open(catalog), offline_embedder), accounts, work_dir=folder / "work")
    for name, role, unit, brands in (("ann", "inspector", "A", ""), ("bob", "inspector", "B", ""),
                                     ("sue", "supervisor", "A", ""), ("olga", "brand_owner", "", "Oatly")):
        service.manage_account("admin", "create", name, role, f"{name}-password", unit, brands)
    yield service
    service.catalog.close()
    service.history.close()


def test_the_environment_admin_becomes_an_administrator_account_with_a_hashed_password(agency):
    import sqlite3

    from index.storing.catalog import DB_NAME

    admin = agency.account_of("admin")
    assert admin.role == "administrator"
    stored = sqlite3.connect(agency.catalog_dir / DB_NAME).execute(
        "SELECT password FROM accounts WHERE name = 'admin'").fetchone()[0]
    assert stored.startswith("pbkdf2_sha256$") and "s3cret-admin" not in stored
    assert agency.users.verify("admin", "s3cret-admin") and not agency.users.verify("admin", "wrong")
    assert agency.users.verify("ann", "ann-password") and not agency.users.verify("nobody", "ann-password")


def test_an_inspector_sees_only_their_own_checks_and_a_supervisor_their_units(agency):
    photo = str(demo_photo("God-Morgon-Orange-Juice_002.jpg"))
    ann = agency.check([photo], account="ann")
    bob = agency.check([photo], account="bob")
    assert (ann.account, ann.unit, bob.unit) == ("ann", "A", "B")
    seen = {r.check_id for r in agency.visible_checks("ann")}
    assert ann.check_id in seen and bob.check_id not in seen
    assert agency.may_see("ann", agency.history.get(ann.check_id))
    assert not agency.may_see("ann", agency.history.get(bob.check_id))
    unit_a = {r.check_id for r in agency.visible_checks("sue")}
    assert ann.check_id in unit_a and bob.check_id not in unit_a
    assert {ann.check_id, bob.check_id} <= {r.check_id for r in agency.visible_checks("admin")}
    assert agency.history_scope("olga") is None and agency.history_scope(None) is None  # nothing for them


def test_a_supervisor_reviews_and_an_inspector_may_not(agency):
    from ui.service import NotAllowed

    check = agency.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], account="ann")
    with pytest.raises(NotAllowed):
        agency.review("ann", check.check_id, "genuine", "my own check")
    agency.review("sue", check.check_id, "genuine", "seen the pack")
    assert agency.history.get(check.check_id).reviewer == "sue"


def test_a_brand_owner_changes_only_their_brands_products(agency):
    from index.storing.audit import entries
    from ui.service import NotAllowed

    agency.edit_product("olga", "Oatly-Oat-Milk", label_text="OATLY Oat drink")
    assert agency.product_details("Oatly-Oat-Milk")["label_text"] == "OATLY Oat drink"
    with pytest.raises(NotAllowed) as refused:
        agency.edit_product("olga", "God-Morgon-Orange-Juice", label_text="hijacked")
    assert refused.value.key == "not_your_brand" and refused.value.args_["brand"] == "God Morgon"
    assert agency.product_details("God-Morgon-Orange-Juice")["label_text"] != "hijacked"
    with pytest.raises(NotAllowed):  # nor given away to her brand, nor a product of another brand started
        agency.edit_product("olga", "Oatly-Oat-Milk", brand="Arla")
    with pytest.raises(NotAllowed):
        agency.add_references("olga", [str(ROOT / "tests/data/Banana_001.jpg")], "Banana", brand="Chiquita")
    with pytest.raises(NotAllowed):
        agency.remove_product("olga", "Arla-Standard-Milk")
    with pytest.raises(NotAllowed):  # an inspector changes no product
        agency.edit_product("ann", "Oatly-Oat-Milk", label_text="x")
    assert ("olga", "edit_product") in [(e.user, e.action) for e in entries(agency.catalog_dir)]


def test_only_an_administrator_manages_accounts_and_each_change_is_audited(agency):
    from index.storing.accounts import AccountError
    from index.storing.audit import entries
    from ui.service import NotAllowed

    with pytest.raises(NotAllowed):
        agency.manage_account("sue", "create", "mallory", "administrator", "mallory-pass")
    with pytest.raises(AccountError) as short:
        agency.manage_account("admin", "create", "tim", "inspector", "short")
    assert short.value.key == "account_short_password"
    agency.manage_account("admin", "create", "tim", "inspector", "tim-password", "A")
    agency.manage_account("admin", "reset", "tim", password="tim-password-2")
    assert agency.users.verify("tim", "tim-password-2") and not agency.users.verify("tim", "tim-password")
    agency.manage_account("admin", "disable", "tim")
    assert not agency.users.verify("tim", "tim-password-2") and agency.account_of("tim") is None
    with pytest.raises(AccountError):
        agency.manage_account("admin", "disable", "admin")  # never locks the last door from inside
    actions = [(e.user, e.action, e.details.get("name")) for e in entries(agency.catalog_dir)]
    for action in ("create_account", "reset_password", "disable_account"):
        assert ("admin", action, "tim") in actions


def test_anonymous_checks_can_be_switched_off(agency, monkeypatch):
    from ui.limits import LimitExceeded

    photo = [str(demo_photo("Oatly-Oat-Milk_002.jpg"))]
    agency.anonymous_checks = False
    try:
        with pytest.raises(LimitExceeded) as refused:
            agency.check(photo, client="10.0.0.9")
        assert refused.value.key == "anonymous_checks_off"
        assert agency.check(photo, account="ann").account == "ann"  # a logged-in inspector still checks
    finally:
        agency.anonymous_checks = True
    from ui.accounts import anonymous_checks_allowed

    assert not anonymous_checks_allowed({"VERIFIER_ANONYMOUS_CHECKS": "0"}) and anonymous_checks_allowed({})


def test_the_command_line_creates_lists_resets_and_disables_users(catalog_copy):
    from index.storing.audit import entries
    from ui.accounts import Accounts

    def cli(*args, stdin=""):
        return subprocess.run([PYTHON, "scripts/manage_users.py", str(catalog_copy), *args], cwd=ROOT, input=stdin,
                              capture_output=True, text=True, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})

    made = cli("create", "lan", "--role", "supervisor", "--unit", "Hanoi-3", "--password-stdin", stdin="lan-password\n")
    assert made.returncode == 0, made.stderr
    listed = cli("list")
    assert "lan\tsupervisor\tHanoi-3" in listed.stdout
    assert Accounts(catalog_copy).verify("lan", "lan-password")
    assert cli("reset", "lan", "--password-stdin", stdin="lan-password-2\n").returncode == 0
    assert Accounts(catalog_copy).verify("lan", "lan-password-2")
    assert cli("disable", "lan").returncode == 0 and not Accounts(catalog_copy).verify("lan", "lan-password-2")
    bad = cli("create", "lan", "--role", "inspector", "--password-stdin", stdin="whatever-pass\n")
    assert bad.returncode == 2 and "already an account lan" in bad.stderr
    assert "(command line)" in [e for e in entries(catalog_copy) if e.action == "create_account"][0].user


def test_the_dashboard_is_a_supervisors_and_counts_only_their_unit(agency):
    from ui.service import NotAllowed

    with pytest.raises(NotAllowed):
        agency.dashboard("ann")
    with pytest.raises(NotAllowed):
        agency.dashboard(None)
    if not agency.visible_checks("bob"):  # run on its own: one check in each unit
        agency.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], account="bob")
    if not agency.visible_checks("ann"):
        agency.check([str(demo_photo("Oatly-Oat-Milk_002.jpg"))], account="ann")
    unit_a, every = agency.dashboard("sue"), agency.dashboard("admin")
    assert unit_a.total == len(agency.visible_checks("sue", limit=10**6)) > 0
    assert every.total == len(agency.history) > unit_a.total  # bob's checks are unit B's
    assert "bob" not in [row[0] for row in unit_a.per_inspector]
    csv_text = agency.dashboard_csv(unit_a, {"per_day": "Checks per day"}).read_text(encoding="utf-8")
    assert "Checks per day" in csv_text and "day,verdict,checks" in csv_text


def test_a_brand_owner_registers_serials_only_for_their_brands_gtins(agency, tmp_path):
    """A brand owner imports the register of their own product's GTIN (Oatly's); a register row for
    another brand's GTIN (God Morgon's) refuses the whole file with that line, and a stamp pattern
    for another brand is refused; an inspector imports nothing."""
    from index.importing.manifests import ManifestError
    from index.storing.audit import entries
    from ui.service import NotAllowed

    own = tmp_path / "oatly.csv"
    own.write_text("gtin,serial\n7350001070087,OLGA-0001\n7350001070087,OLGA-0002\n")
    done = agency.import_serials("olga", str(own))
    assert done.new == 2
    other = tmp_path / "mixed.csv"
    other.write_text("gtin,serial\n7350001070087,OLGA-0003\n7350001010007,HIJACK-1\n")
    with pytest.raises(ManifestError) as refused:
        agency.import_serials("olga", str(other))
    assert "line 3" in str(refused.value) and "not the GTIN of a product of your brands" in str(refused.value)
    assert agency.serial_register()["serials"] >= 2
    with pytest.raises(NotAllowed):
        agency.add_stamp_pattern("olga", "https://xacthuc.godmorgon.vn/c/{serial}", "God Morgon")
    with pytest.raises(NotAllowed):
        agency.import_serials("ann", str(own))
    assert ("olga", "import_serials") in [(e.user, e.action) for e in entries(agency.catalog_dir)]
