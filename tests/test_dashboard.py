"""The dashboard's figures (issue 26): counted by SQLite over the History, the same as loading every
row and counting in Python, for every filter (real SQLite; the checks made by the benchmark's
filler, shaped like a unit's year)."""

from __future__ import annotations

import sys

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    from index.storing.history import History

    sys.path.insert(0, str(ROOT / "scripts"))
    from bench import fill_checks

    kept = History(tmp_path_factory.mktemp("dashboard"))
    fill_checks(kept.db, 3000)
    yield kept
    kept.close()


@pytest.mark.parametrize("filters", [
    {}, {"unit": "unit2"}, {"account": "inspector7"}, {"place": "Chợ số 1"}, {"product": "Product-3"},
    {"inspector": "QLTT-1"}, {"since": "2026-03-01T00:00:00Z", "until": "2026-04-01T00:00:00Z", "offset_minutes": 420},
], ids=["all", "unit", "account", "place", "product", "inspector", "month"])
def test_the_sql_figures_are_the_naive_count(history, filters):
    from index.storing import dashboard

    f = dashboard.Filters(**filters)
    figures = dashboard.count(history.db, f)
    assert figures == dashboard.count_naive(history.db, f)
    assert figures.total > 0 and figures.per_day and figures.per_inspector
    assert sum(n for _, _, n in figures.per_day) == figures.total
    assert figures.inconclusive == sum(row[5] for row in figures.per_inspector)
    assert len(figures.flagged_products) <= dashboard.TOP


def test_local_days_shift_a_late_utc_check_to_the_next_day(history):
    from index.storing import dashboard

    history.db.execute("INSERT INTO checks (checked_at, verdict, photos, result, place) "
                       "VALUES ('2030-01-01T20:00:00Z', 'counterfeit', '[]', '{\"flags\": []}', 'Late stall')")
    f = dashboard.Filters(place="Late stall", offset_minutes=420)  # 03:00 on 2 January in Hanoi
    assert dashboard.count(history.db, f).per_day == [["2030-01-02", "counterfeit", 1]]
    assert dashboard.count(history.db, dashboard.Filters(place="Late stall")).per_day == [["2030-01-01", "counterfeit", 1]]


def test_product_ids_on_the_axis_are_cut_short_but_never_merged():
    """Before: "God-Morgon-Orange-Juice", slanted under the plot, ran off its left edge on a phone."""
    from ui.tabs.dashboard import short_labels

    names = ["God-Morgon-Orange-Juice", "God-Morgon-Orange-Red-Grapefruit-Juice", "Oatly-Oat-Milk",
             "Arla-Sour-Cream-Light", "Arla-Sour-Cream-Light-2"]
    shown = short_labels(names, chars=16)
    assert shown["Oatly-Oat-Milk"] == "Oatly-Oat-Milk"
    assert shown["God-Morgon-Orange-Juice"] == "God-Morgon-Orange-J…"
    assert shown["God-Morgon-Orange-Red-Grapefruit-Juice"] == "God-Morgon-Orange-R…"
    assert len(set(shown.values())) == len(names)  # one bar per product
    assert shown["Arla-Sour-Cream-Light"] == "Arla-Sour-Cream-Light"
    assert short_labels(["God-Morgon-Orange-Juice"], chars=16) == {"God-Morgon-Orange-Juice": "God-Morgon-Oran…"}
