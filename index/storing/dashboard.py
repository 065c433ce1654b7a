"""The figures a market-surveillance unit reports, counted by SQLite over the History (table
``checks``): checks per day by verdict, the most-flagged products and places, checks per inspector,
and the share of inconclusive checks with the reasons (flags) behind them.

One ``GROUP BY`` per figure, read from one covering index (``checks_figures``: time, verdict, unit,
account, inspector, place, products) rather than the rows with their kilobytes of result; only the
inconclusive checks' flags are read from their results. No check is loaded into Python: on 100,000
checks this takes a fraction of what loading the checks as the History does and counting them in
Python takes (``scripts/bench.py --only dashboard``; figures in docs/benchmarks.md).
``count_naive`` is that naive way, kept for the benchmark and the test that both agree.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass, field

from .history import _escape_like

#: The most-flagged products and places shown.
TOP = 10
#: Verdicts that flag an item (a product or place "flagged" had one of these).
FLAGGED = ("counterfeit", "suspicious")
VERDICTS = ("genuine", "suspicious", "counterfeit", "unknown")


@dataclass
class Filters:
    since: str | None = None  # UTC ISO, included
    until: str | None = None  # UTC ISO, excluded
    place: str = ""  # part of the place
    product: str = ""  # the product claimed or judged (exact id)
    inspector: str = ""  # part of the inspector's name or account
    unit: str | None = None  # exact: a supervisor's scope
    account: str | None = None  # exact: an inspector's scope
    #: minutes added to UTC to get the local day (Asia/Ho_Chi_Minh: +420)
    offset_minutes: int = 0


@dataclass
class Figures:
    total: int = 0
    per_day: list = field(default_factory=list)  # [day, verdict, checks]
    flagged_products: list = field(default_factory=list)  # [product, checks flagged]
    flagged_places: list = field(default_factory=list)  # [place, checks flagged]
    per_inspector: list = field(default_factory=list)  # [inspector, checks, genuine, suspicious, counterfeit, unknown]
    inconclusive: int = 0
    inconclusive_why: list = field(default_factory=list)  # [flag, inconclusive checks carrying it]

    def to_dict(self) -> dict:
        return asdict(self)


def _where(f: Filters) -> tuple[str, list]:
    clauses, params = [], []
    if f.since:
        clauses.append("checked_at >= ?")
        params.append(f.since)
    if f.until:
        clauses.append("checked_at < ?")
        params.append(f.until)
    if f.place.strip():
        clauses.append("place LIKE ? ESCAPE '\\'")
        params.append("%" + _escape_like(f.place.strip()) + "%")
    if f.product.strip():
        clauses.append("(claimed_product_id = ? OR product_id = ?)")
        params += [f.product.strip()] * 2
    if f.inspector.strip():
        clauses.append("(inspector LIKE ? ESCAPE '\\' OR account LIKE ? ESCAPE '\\')")
        params += ["%" + _escape_like(f.inspector.strip()) + "%"] * 2
    for column, value in (("unit", f.unit), ("account", f.account)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


#: Who made a check: the account, else the name typed, else a dash.
_WHO = "COALESCE(NULLIF(account, ''), NULLIF(inspector, ''), '—')"
_PRODUCT = "COALESCE(NULLIF(claimed_product_id, ''), NULLIF(product_id, ''), '—')"


def count(db: sqlite3.Connection, f: Filters) -> Figures:
    where, params = _where(f)
    flagged = f"{where} {'AND' if where else 'WHERE'} verdict IN ({', '.join('?' * len(FLAGGED))})"
    day = f"date(checked_at, '{int(f.offset_minutes):+d} minutes')"
    figures = Figures()
    figures.total = db.execute(f"SELECT COUNT(*) FROM checks {where}", params).fetchone()[0]
    figures.per_day = [list(r) for r in db.execute(
        f"SELECT {day} AS day, verdict, COUNT(*) FROM checks {where} GROUP BY day, verdict ORDER BY day, verdict",
        params)]
    figures.flagged_products = [list(r) for r in db.execute(
        f"SELECT {_PRODUCT} AS p, COUNT(*) AS n FROM checks {flagged} GROUP BY p ORDER BY n DESC, p LIMIT {TOP}",
        [*params, *FLAGGED])]
    figures.flagged_places = [list(r) for r in db.execute(
        f"SELECT COALESCE(NULLIF(place, ''), '—') AS p, COUNT(*) AS n FROM checks {flagged} GROUP BY p "
        f"ORDER BY n DESC, p LIMIT {TOP}", [*params, *FLAGGED])]
    sums = ", ".join(f"SUM(verdict = '{v}')" for v in VERDICTS)
    figures.per_inspector = [list(r) for r in db.execute(
        f"SELECT {_WHO} AS who, COUNT(*) AS n, {sums} FROM checks {where} GROUP BY who ORDER BY n DESC, who", params)]
    unknown = f"{where} {'AND' if where else 'WHERE'} verdict = 'unknown'"
    figures.inconclusive = db.execute(f"SELECT COUNT(*) FROM checks {unknown}", params).fetchone()[0]
    figures.inconclusive_why = [list(r) for r in db.execute(
        f"SELECT flag.value AS why, COUNT(*) AS n FROM checks, json_each(checks.result, '$.flags') AS flag {unknown} "
        "GROUP BY why ORDER BY n DESC, why", params)]
    return figures


def count_naive(db: sqlite3.Connection, f: Filters) -> Figures:
    """The same figures the naive way: every check the filters keep loaded as the History loads
    it (``CheckRecord``, its result, photos and quality parsed) and counted in Python. For the
    benchmark and the test that both ways agree."""
    from datetime import datetime, timedelta

    from .history import _COLUMNS, _record

    where, params = _where(f)
    records = [_record(row) for row in db.execute(f"SELECT {_COLUMNS} FROM checks {where}", params)]
    rows = [(r.checked_at, r.verdict, r.claimed_product_id, r.product_id, r.place, r.inspector, r.account, r.result)
            for r in records]
    per_day, products, places, who, why = Counter(), Counter(), Counter(), {}, Counter()
    inconclusive = 0
    for checked_at, verdict, claimed, product, place, inspector, account, result in rows:
        moment = datetime.strptime(checked_at[:19], "%Y-%m-%dT%H:%M:%S") + timedelta(minutes=f.offset_minutes)
        per_day[(moment.strftime("%Y-%m-%d"), verdict)] += 1
        if verdict in FLAGGED:
            products[claimed or product or "—"] += 1
            places[place or "—"] += 1
        name = account or inspector or "—"
        counts = who.setdefault(name, Counter())
        counts[verdict] += 1
        if verdict == "unknown":
            inconclusive += 1
            for flag in result.get("flags") or []:
                why[flag] += 1

    def top(counter):
        return [[k, n] for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]]

    return Figures(
        total=len(rows),
        per_day=[[d, v, n] for (d, v), n in sorted(per_day.items())],
        flagged_products=top(products), flagged_places=top(places),
        per_inspector=[[name, sum(c.values()), *(c[v] for v in VERDICTS)]
                       for name, c in sorted(who.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))],
        inconclusive=inconclusive,
        inconclusive_why=[[k, n] for k, n in sorted(why.items(), key=lambda kv: (-kv[1], kv[0]))])
