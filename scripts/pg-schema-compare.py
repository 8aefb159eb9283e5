#!/usr/bin/env python3
"""Compares the PostgreSQL schema (migrations/postgres/, already applied to the database at URL, e.g.
by `storyloom migrate --database URL`) with the SQLite schema that migrations/ build, then runs the same
writes on both to check that the rewritten triggers behave as SQLite's do.

    scripts/pg-schema-compare.py [URL]        (default: $DATABASE_URL)

Schema: tables and views, their columns (order, type, NOT NULL, default), primary keys, unique
constraints, foreign keys (with ON DELETE / ON UPDATE), number of CHECK constraints, the explicit
indexes (name, table, unique, key columns, partial predicate), triggers (name, table, timing,
event, columns, WHEN) and the seeded rows. Triggers: a scenario of INSERT/UPDATE/DELETE statements
runs in a transaction on each database (rolled back on both); after each statement both must have
succeeded or failed alike (with the same message for the trigger-raised errors) and hold the same
rows. Prints every difference; exits 1 if there is any.

Python 3 standard library and the psql client only.
"""

import glob
import json
import os
import re
import sqlite3
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BASELINE_VERSION = 14

# Only in PostgreSQL, on purpose (see the migrations' comments).
PG_ONLY_TABLES = {"rate_limit_cells"}
# SQLite's implicit rowid, which reads order by: an explicit `seq` column on PostgreSQL.
PG_ONLY_COLUMNS = {("node_items", "seq"), ("review_decisions", "seq"), ("ledger_transfers", "seq")}
# TRUNCATE skips row triggers; these close that way round the append-only rules.
PG_ONLY_TRIGGERS = {
    # Credential changes announced to the other replicas (0016).
    ("api_keys", "api_keys_notify_replicas"),
    ("users", "users_notify_replicas"),
    ("ledger_entries", "ledger_entries_no_truncate"),
    ("ledger_transfers", "ledger_transfers_no_truncate"),
    ("ledger_holds", "ledger_holds_no_truncate"),
}
# schema_migrations.version is given by the runner, and sync_outbox.counter by the desktop (its
# mutation counter, docs/SYNC.md), never generated: plain BIGINT keys, not identities, though
# SQLite's INTEGER PRIMARY KEY is a rowid alias.
NOT_IDENTITY = {("schema_migrations", "version"), ("sync_outbox", "counter")}
# The errors the triggers raise: their messages must match exactly.
TRIGGER_MESSAGES = {
    "ledger entries are append-only",
    "ledger transfers are append-only",
    "a hold resolves exactly once",
    "holds are never deleted",
}
TYPES = {"INTEGER": "bigint", "TEXT": "text", "REAL": "double precision", "BLOB": "bytea"}
FK_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

problems = []


def problem(msg):
    problems.append(msg)
    print("DIFF:", msg)


# --- SQLite -----------------------------------------------------------------------------------


def build_sqlite():
    """A fresh database with every SQLite migration applied as the application's runner does."""
    db = sqlite3.connect(":memory:", isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    # The application's casefold() is Rust's to_lowercase() (src/db/mod.rs), i.e. str.lower().
    db.create_function("casefold", 1, lambda s: None if s is None else s.lower(), deterministic=True)
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    files = sorted(glob.glob(os.path.join(ROOT, "migrations", "[0-9][0-9][0-9][0-9]_*.sql")))
    applied = 0
    for path in files:
        version = int(os.path.basename(path)[:4])
        # One transaction per migration, as the runner applies them (it uses one for all).
        db.executescript("BEGIN;\n" + open(path, encoding="utf-8").read() + "\nCOMMIT;")
        applied += 1
    if applied < BASELINE_VERSION:
        sys.exit(f"expected at least {BASELINE_VERSION} SQLite migrations, found {applied}")
    return db


def sqlite_schema(db):
    s = {"tables": {}, "views": {}, "indexes": {}, "triggers": {}}
    rows = db.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    ).fetchall()
    for kind, name, tbl, sql in rows:
        if kind == "table":
            cols = []
            for cid, cname, ctype, notnull, dflt, pk in db.execute(f'PRAGMA table_info("{name}")'):
                cols.append(
                    {
                        "name": cname,
                        "type": TYPES.get(ctype.upper(), "?" + ctype),
                        # A primary key column is NOT NULL in PostgreSQL (and in practice here).
                        "notnull": bool(notnull or pk),
                        "default": dflt,
                    }
                )
            pk = [r[1] for r in sorted(db.execute(f'PRAGMA table_info("{name}")'), key=lambda r: r[5]) if r[5]]
            uniques = set()
            for _, iname, unique, origin, _partial in db.execute(f'PRAGMA index_list("{name}")'):
                if origin == "u":
                    uniques.add(tuple(r[2] for r in db.execute(f'PRAGMA index_info("{iname}")')))
            fks = {}
            for fid, _seq, ref, frm, to, on_upd, on_del, _match in db.execute(
                f'PRAGMA foreign_key_list("{name}")'
            ):
                f = fks.setdefault(fid, {"from": [], "to": [], "ref": ref, "upd": on_upd, "del": on_del})
                f["from"].append(frm)
                f["to"].append(to)
            s["tables"][name] = {
                "columns": cols,
                "pk": pk,
                "uniques": uniques,
                "fks": {(tuple(f["from"]), f["ref"], tuple(f["to"]), f["del"], f["upd"]) for f in fks.values()},
                "checks": count_checks(sql),
            }
        elif kind == "view":
            s["views"][name] = [r[1] for r in db.execute(f'PRAGMA table_info("{name}")')]
        elif kind == "index" and sql is not None:  # sql NULL: a constraint's automatic index
            keys = []
            for _seqno, cid, cname, desc, coll, key in db.execute(f'PRAGMA index_xinfo("{name}")'):
                if not key:
                    continue
                if cid == -2:
                    k = "<expr>"
                elif coll and coll.upper() == "NOCASE":
                    k = f"lower({cname})"  # the baseline's stand-in for COLLATE NOCASE
                else:
                    k = cname
                keys.append(k + (" DESC" if desc else ""))
            m = re.search(r"\bWHERE\b(.*)$", sql, re.S | re.I)
            s["indexes"][name] = {
                "table": tbl,
                "unique": bool(re.match(r"\s*CREATE\s+UNIQUE", sql, re.I)),
                "keys": keys,
                "where": norm_expr(m.group(1)) if m else None,
            }
        elif kind == "trigger":
            s["triggers"][(tbl, name)] = parse_trigger(sql)
    return s


def count_checks(sql):
    return len(re.findall(r"\bCHECK\s*\(", sql, re.I))


def norm_expr(e):
    e = re.sub(r"::[a-z ]+?\b(?=\)|$|\s|,)", "", e)  # PostgreSQL's casts ('pending'::text)
    e = re.sub(r"\s+", " ", e).strip().lower()
    while e.startswith("(") and e.endswith(")"):
        e = e[1:-1].strip()
    return e


def parse_trigger(sql):
    m = re.match(
        r"\s*CREATE\s+TRIGGER\s+\S+\s+(BEFORE|AFTER|INSTEAD OF)\s+(INSERT|UPDATE|DELETE|TRUNCATE)"
        r"(?:\s+OF\s+(.*?))?\s+ON\s+(\S+)(.*)",
        sql,
        re.S | re.I,
    )
    if not m:
        return {"unparsed": sql}
    timing, event, cols, _tbl, rest = m.groups()
    cols = tuple(c.strip() for c in cols.split(",")) if cols else ()
    when = re.search(r"\bWHEN\s*\(?(.*?)\)?\s*(BEGIN|EXECUTE)\b", rest, re.S | re.I)
    return {
        "timing": timing.upper(),
        "event": event.upper(),
        "columns": cols,
        "when": norm_expr(when.group(1)) if when else None,
    }


# --- PostgreSQL -------------------------------------------------------------------------------


def psql(url, sql, stdin=None):
    cmd = ["psql", url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"]
    if stdin is None:
        cmd += ["-c", sql]
    r = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"psql failed: {r.stderr.strip()}")
    return r.stdout


def pg_json(url, query):
    return json.loads(psql(url, f"SELECT coalesce(json_agg(q), '[]') FROM ({query}) q"))


def pg_schema(url):
    s = {"tables": {}, "views": {}, "indexes": {}, "triggers": {}}
    rels = pg_json(
        url,
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')",
    )
    cols = pg_json(
        url,
        "SELECT table_name, column_name, data_type, is_nullable, column_default, is_identity"
        " FROM information_schema.columns WHERE table_schema = 'public'"
        " ORDER BY table_name, ordinal_position",
    )
    cons = pg_json(
        url,
        "SELECT c.conrelid::regclass::text AS tbl, c.contype, c.confrelid::regclass::text AS ref,"
        " c.confdeltype, c.confupdtype,"
        " ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,"
        " ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)"
        "       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i) AS refcols"
        " FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace"
        " WHERE n.nspname = 'public' AND c.conrelid <> 0",
    )
    idx = pg_json(
        url,
        "SELECT ic.relname AS name, tc.relname AS tbl, i.indisunique AS uniq,"
        " pg_get_expr(i.indpred, i.indrelid, true) AS pred,"
        " ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)"
        "         || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END"
        "       FROM generate_series(1, i.indnkeyatts) k ORDER BY k) AS keys"
        " FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid"
        " JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace n ON n.oid = tc.relnamespace"
        " WHERE n.nspname = 'public'"
        "   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
    )
    trg = pg_json(
        url,
        "SELECT c.relname AS tbl, t.tgname AS name, pg_get_triggerdef(t.oid) AS def"
        " FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND NOT t.tgisinternal",
    )
    for r in rels:
        if r["relkind"] == "r":
            s["tables"][r["relname"]] = {"columns": [], "pk": [], "uniques": set(), "fks": set(), "checks": 0}
        else:
            s["views"][r["relname"]] = []
    for c in cols:
        name = c["table_name"]
        if name in s["views"]:
            s["views"][name].append(c["column_name"])
            if c["data_type"] != "text":
                problem(f"view {name}.{c['column_name']}: type {c['data_type']} (expected text)")
            continue
        default = c["column_default"]
        if default is not None:
            default = re.sub(r"::(text|bigint|double precision)$", "", default)
        s["tables"][name]["columns"].append(
            {
                "name": c["column_name"],
                "type": c["data_type"],
                "notnull": c["is_nullable"] == "NO",
                "default": default,
                "identity": c["is_identity"] == "YES",
            }
        )
    for c in cons:
        t = s["tables"][c["tbl"]]
        if c["contype"] == "p":
            t["pk"] = c["cols"]
        elif c["contype"] == "u":
            t["uniques"].add(tuple(c["cols"]))
        elif c["contype"] == "f":
            t["fks"].add(
                (
                    tuple(c["cols"]),
                    c["ref"],
                    tuple(c["refcols"]),
                    FK_ACTIONS[c["confdeltype"]],
                    FK_ACTIONS[c["confupdtype"]],
                )
            )
        elif c["contype"] == "c":
            t["checks"] += 1
    for i in idx:
        s["indexes"][i["name"]] = {
            "table": i["tbl"],
            "unique": i["uniq"],
            "keys": i["keys"],
            "where": norm_expr(i["pred"]) if i["pred"] else None,
        }
    for t in trg:
        s["triggers"][(t["tbl"], t["name"])] = parse_trigger(t["def"])
    return s


# --- Comparison -------------------------------------------------------------------------------


def compare_schema(lite, pg):
    for kind in ("tables", "views"):
        only_lite = set(lite[kind]) - set(pg[kind])
        only_pg = set(pg[kind]) - set(lite[kind]) - PG_ONLY_TABLES
        for n in sorted(only_lite):
            problem(f"{kind[:-1]} {n}: only in SQLite")
        for n in sorted(only_pg):
            problem(f"{kind[:-1]} {n}: only in PostgreSQL")
    for name in sorted(set(lite["views"]) & set(pg["views"])):
        if lite["views"][name] != pg["views"][name]:
            problem(f"view {name}: columns SQLite {lite['views'][name]} vs PostgreSQL {pg['views'][name]}")
    for name in sorted(set(lite["tables"]) & set(pg["tables"])):
        lt, pt = lite["tables"][name], pg["tables"][name]
        lnames = [c["name"] for c in lt["columns"]]
        pnames = [c["name"] for c in pt["columns"] if (name, c["name"]) not in PG_ONLY_COLUMNS]
        if lnames != pnames:
            problem(f"table {name}: columns SQLite {lnames} vs PostgreSQL {pnames}")
        pcols = {c["name"]: c for c in pt["columns"]}
        for lc in lt["columns"]:
            pc = pcols.get(lc["name"])
            if pc is None:
                continue
            where = f"{name}.{lc['name']}"
            if lc["type"] != pc["type"]:
                problem(f"{where}: type SQLite {lc['type']} vs PostgreSQL {pc['type']}")
            if lc["notnull"] != pc["notnull"]:
                problem(f"{where}: NOT NULL SQLite {lc['notnull']} vs PostgreSQL {pc['notnull']}")
            if lc["default"] != pc["default"]:
                problem(f"{where}: default SQLite {lc['default']!r} vs PostgreSQL {pc['default']!r}")
            rowid_alias = lt["pk"] == [lc["name"]] and lc["type"] == "bigint"
            rowid_alias = rowid_alias and (name, lc["name"]) not in NOT_IDENTITY
            if rowid_alias != pc["identity"]:
                problem(f"{where}: identity {pc['identity']} (SQLite rowid alias: {rowid_alias})")
        for key in ("pk", "uniques", "fks", "checks"):
            if lt[key] != pt[key]:
                problem(f"table {name}: {key} SQLite {sorted(lt[key]) if isinstance(lt[key], set) else lt[key]}"
                        f" vs PostgreSQL {sorted(pt[key]) if isinstance(pt[key], set) else pt[key]}")
    for name in sorted(set(lite["indexes"]) | set(pg["indexes"])):
        li, pi = lite["indexes"].get(name), pg["indexes"].get(name)
        if li is None or pi is None:
            problem(f"index {name}: only in {'PostgreSQL' if li is None else 'SQLite'}")
        elif li != pi:
            problem(f"index {name}: SQLite {li} vs PostgreSQL {pi}")
    for key in sorted(set(lite["triggers"]) | set(pg["triggers"])):
        lt, pt = lite["triggers"].get(key), pg["triggers"].get(key)
        if lt is None and key in PG_ONLY_TRIGGERS:
            continue
        if lt is None or pt is None:
            problem(f"trigger {key[1]} on {key[0]}: only in {'PostgreSQL' if lt is None else 'SQLite'}")
        elif lt != pt:
            problem(f"trigger {key[1]} on {key[0]}: SQLite {lt} vs PostgreSQL {pt}")
    for key in PG_ONLY_TRIGGERS:
        if key not in pg["triggers"]:
            problem(f"trigger {key[1]} on {key[0]}: missing in PostgreSQL")


def lite_rows(db, table, cols="*", order=None):
    cur = db.execute(f"SELECT {cols} FROM {table}" + (f" ORDER BY {order}" if order else ""))
    names = [d[0] for d in cur.description]
    out = []
    for row in cur:
        out.append({n: ("\\x" + v.hex() if isinstance(v, bytes) else v) for n, v in zip(names, row)})
    return out


def compare_seed(db, url, tables):
    for t in sorted(tables):
        if t == "schema_migrations":
            continue  # the runner's, filled after the migration
        key = lambda r: json.dumps(r, sort_keys=True)
        lrows = sorted(lite_rows(db, t), key=key)
        prows = sorted(json.loads(psql(url, f"SELECT coalesce(json_agg(to_jsonb(t)), '[]') FROM {t} t")), key=key)
        # Written by the application when it first opens the database, not by a migration.
        prows = [r for r in prows if not (t == "settings" and r.get("key") == "token_secret")]
        if lrows != prows:
            problem(f"rows of {t}: SQLite {lrows} vs PostgreSQL {prows}")


# --- Trigger scenario -------------------------------------------------------------------------

T0 = "2026-03-01T10:00:00.000Z"


def t(minute):
    return f"2026-03-01T10:{minute:02d}:00.000Z"


def run_(rid, project, version, minute):
    return (
        "INSERT INTO workflow_runs (id, owner_id, project_id, version_id, template_id, template_version_id,"
        f" graph, status, created_at, updated_at) VALUES ('{rid}', 'u1', '{project}', '{version}', 'tpl',"
        f" 'tplv', '{{}}', 'running', '{t(minute)}', '{t(minute)}')"
    )


def export_(eid, project, version, run, status, minute):
    return (
        "INSERT INTO exports (id, owner_id, project_id, version_id, run_id, settings, status,"
        f" video_length_ms, frames, created_at, updated_at) VALUES ('{eid}', 'u1', '{project}',"
        f" '{version}', '{run}', '{{}}', '{status}', 1000, 24, '{t(minute)}', '{t(minute)}')"
    )


def project_(pid, owner, minute, status="draft", deleted=None):
    d = "NULL" if deleted is None else f"'{deleted}'"
    return f"('{pid}', '{owner}', 'Project {pid}', '{status}', '{t(minute)}', '{t(minute)}', {d})"


SCENARIO = [
    # Owners, projects (one multi-row insert: one of them deleted from the start).
    "INSERT INTO users (id, username, created_at, updated_at) VALUES"
    f" ('u1', 'one', '{T0}', '{T0}'), ('u2', 'two', '{T0}', '{T0}')",
    "INSERT INTO projects (id, owner_id, name, status, created_at, updated_at, deleted_at) VALUES "
    + ", ".join(
        [
            project_("p1", "u1", 1),
            project_("p2", "u1", 2),
            project_("p3", "u2", 3, status="completed"),
            project_("p4", "u1", 4, deleted=t(5)),
            project_("p5", "u2", 5),
        ]
    ),
    "INSERT INTO project_versions (id, project_id, number, created_at, updated_at) VALUES"
    f" ('v1', 'p1', 1, '{T0}', '{T0}'), ('v1b', 'p1', 2, '{T0}', '{T0}'), ('v2', 'p2', 1, '{T0}', '{T0}')",
    # Runs and exports move the shown status and time.
    run_("r1", "p1", "v1", 10),
    f"UPDATE workflow_runs SET updated_at = '{t(12)}', status = 'paused' WHERE id = 'r1'",
    f"UPDATE workflow_runs SET status = 'failed' WHERE id = 'r1'",  # no watched column: no refresh
    export_("e1", "p1", "v1", "r1", "queued", 13),
    f"UPDATE exports SET status = 'completed', updated_at = '{t(14)}' WHERE id = 'e1'",
    f"UPDATE projects SET status = 'draft', updated_at = '{t(15)}' WHERE id = 'p1'",
    f"UPDATE exports SET progress = 0.5 WHERE id = 'e1'",
    "DELETE FROM exports WHERE id = 'e1'",
    # A run moved to another project refreshes both.
    "UPDATE workflow_runs SET project_id = 'p2' WHERE id = 'r1'",
    run_("r2", "p1", "v1b", 16),
    run_("r3", "p1", "v1", 8),
    f"UPDATE workflow_runs SET updated_at = '{t(20)}'",  # multi-row
    # Soft delete and restore (counts), status by hand.
    f"UPDATE projects SET deleted_at = '{t(21)}', updated_at = '{t(21)}' WHERE id = 'p2'",
    "UPDATE projects SET deleted_at = NULL WHERE id = 'p2'",
    "UPDATE projects SET deleted_at = NULL WHERE id = 'p4'",
    f"UPDATE projects SET status = 'in_progress', updated_at = '{t(22)}' WHERE id = 'p5'",
    # An empty count row left behind, then a project moved into it (owner + status in one UPDATE:
    # both AFTER UPDATE triggers of projects fire).
    "DELETE FROM projects WHERE id = 'p5'",
    f"UPDATE projects SET owner_id = 'u2', status = 'in_progress', updated_at = '{t(23)}' WHERE id = 'p4'",
    f"UPDATE projects SET owner_id = 'u2', updated_at = '{t(24)}' WHERE id = 'p2'",
    # Cascades: a version's runs, then a whole project (its runs and exports).
    "DELETE FROM project_versions WHERE id = 'v1b'",
    export_("e2", "p1", "v1", "r3", "completed", 25),
    "DELETE FROM workflow_runs WHERE id = 'r3'",
    f"UPDATE projects SET updated_at = '{t(26)}'",  # multi-row
    "DELETE FROM projects WHERE id = 'p2'",
    # A soft-deleted project hard-deleted: not counted twice.
    f"UPDATE projects SET deleted_at = '{t(27)}' WHERE id = 'p3'",
    "DELETE FROM projects WHERE id = 'p3'",
    # CHECK constraints agree.
    "UPDATE projects SET status = 'bogus' WHERE id = 'p1'",
    "UPDATE project_counts SET live = -1",
    # The ledger: append-only entries and transfers, holds resolved once and never deleted.
    "INSERT INTO ledger_accounts (id, owner_id, kind, created_at) VALUES"
    f" ('wallet:u1', 'u1', 'wallet', '{T0}'), ('held:u1', 'u1', 'held', '{T0}')",
    "INSERT INTO ledger_transfers (id, key, kind, debit_account, credit_account, amount, fingerprint,"
    f" created_at) VALUES ('t1', 'k1', 'grant', 'system:issuance', 'wallet:u1', 100, 'f', '{T0}')",
    "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at) VALUES"
    f" ('t1', 'system:issuance', -100, -100, '{T0}'), ('t1', 'wallet:u1', 100, 100, '{T0}')",
    "UPDATE ledger_accounts SET balance = balance - 100 WHERE id = 'system:issuance'",
    "UPDATE ledger_accounts SET balance = -1 WHERE id = 'wallet:u1'",
    "UPDATE ledger_entries SET amount = 0 WHERE id = 1",
    "DELETE FROM ledger_entries WHERE id = 2",
    "DELETE FROM ledger_entries WHERE id = 99",
    "UPDATE ledger_transfers SET description = 'x'",
    "DELETE FROM ledger_transfers",
    "INSERT INTO ledger_transfers (id, key, kind, debit_account, credit_account, amount, fingerprint,"
    f" created_at) VALUES ('t2', 'k2', 'bad', 'wallet:u1', 'wallet:u1', 5, 'f', '{T0}')",
    "INSERT INTO ledger_entries (transfer_id, account_id, amount, balance_after, created_at) VALUES"
    f" ('t1', 'held:u1', 0, 0, '{T0}')",
    "INSERT INTO ledger_holds (id, key, owner_id, estimate, amount, purpose, work_id, status, holder,"
    f" fingerprint, expires_at, created_at) VALUES ('h1', 'hk1', 'u1', 10, 10, 'export', 'w1',"
    f" 'pending', 'proc', 'f', '{t(30)}', '{T0}')",
    "UPDATE ledger_holds SET holder = 'proc2' WHERE id = 'h1'",
    f"UPDATE ledger_holds SET status = 'settled', charged = 7, resolved_at = '{t(31)}' WHERE id = 'h1'",
    "UPDATE ledger_holds SET status = 'voided' WHERE id = 'h1'",
    "UPDATE ledger_holds SET holder = 'x' WHERE id = 'nope'",
    "DELETE FROM ledger_holds WHERE id = 'h1'",
    "INSERT INTO ledger_holds (id, key, owner_id, estimate, amount, purpose, work_id, status, holder,"
    f" fingerprint, expires_at, created_at) VALUES ('h2', 'hk2', 'u1', 10, 11, 'export', 'w2',"
    f" 'pending', 'proc', 'f', '{t(30)}', '{T0}')",
]

SNAPSHOT = [
    ("projects", "id, owner_id, status, updated_at, deleted_at, shown_status, shown_updated_at", "id"),
    ("projects_shown", "id, shown_status, shown_updated_at", "id"),
    ("project_counts", "owner_id, shown_status, live", "owner_id, shown_status"),
    ("workflow_runs", "id, project_id, updated_at", "id"),
    ("exports", "id, project_id, status, updated_at", "id"),
    ("ledger_accounts", "id, balance", "id"),
    ("ledger_transfers", "id, amount, description", "id"),
    ("ledger_entries", "id, transfer_id, account_id, amount, balance_after", "id"),
    ("ledger_holds", "id, status, holder, charged", "id"),
]


def lite_snapshot(db):
    return {t: [list(r.values()) for r in lite_rows(db, t, cols, order)] for t, cols, order in SNAPSHOT}


def pg_snapshot_sql():
    parts = ", ".join(
        f"'{t}', (SELECT coalesce(json_agg(json_build_array({cols}) ORDER BY {order}), '[]') FROM {t})"
        for t, cols, order in SNAPSHOT
    )
    return f"SELECT json_build_object({parts});"


def check_invariants(side, snap):
    """The stored pair is the view's, and the counts are the live projects'."""
    stored = [[r[0], r[5], r[6]] for r in snap["projects"]]
    if stored != snap["projects_shown"]:
        problem(f"{side}: stored shown columns {stored} differ from projects_shown {snap['projects_shown']}")
    counts = {}
    for r in snap["projects"]:
        if r[4] is None:
            counts[(r[1], r[5])] = counts.get((r[1], r[5]), 0) + 1
    kept = {(r[0], r[1]): r[2] for r in snap["project_counts"] if r[2]}
    if counts != kept:
        problem(f"{side}: project_counts {kept} differ from the live projects' {counts}")


def run_scenario(db, url):
    # Sequences ignore ROLLBACK: put the ledger_entries identity back where it was afterwards.
    seq_sql = "pg_get_serial_sequence('ledger_entries', 'id')"
    # last_value is NULL while the sequence has never been used.
    last = psql(
        url,
        "SELECT coalesce(s.last_value::text, 'unused') FROM pg_sequences s"
        f" WHERE format('%I.%I', s.schemaname, s.sequencename) = {seq_sql}",
    ).strip()
    script = ["\\set ON_ERROR_STOP off", "\\set ON_ERROR_ROLLBACK on", "BEGIN;"]
    for i, stmt in enumerate(SCENARIO):
        script += [
            f"\\echo @@step {i}",
            stmt + ";",
            "\\if :ERROR",
            "\\echo @@err :LAST_ERROR_MESSAGE",
            "\\else",
            "\\echo @@ok",
            "\\endif",
            pg_snapshot_sql(),
        ]
    script += [
        "\\echo @@step truncate",
        "TRUNCATE ledger_entries, ledger_transfers, ledger_holds;",
        "\\if :ERROR",
        "\\echo @@err :LAST_ERROR_MESSAGE",
        "\\else",
        "\\echo @@ok",
        "\\endif",
        "ROLLBACK;",
    ]
    r = subprocess.run(
        ["psql", url, "-X", "-q", "-A", "-t"], input="\n".join(script) + "\n", capture_output=True, text=True
    )
    if last == "unused":
        psql(url, f"SELECT setval({seq_sql}, 1, false)")
    else:
        psql(url, f"SELECT setval({seq_sql}, {int(last)}, true)")
    pg_steps = {}
    current = None
    for line in r.stdout.splitlines():
        if line.startswith("@@step "):
            current = line[7:]
            pg_steps[current] = {}
        elif line == "@@ok":
            pg_steps[current]["error"] = None
        elif line.startswith("@@err"):
            pg_steps[current]["error"] = line[6:].strip()
        elif line.startswith("{"):
            pg_steps[current]["snap"] = json.loads(line)

    db.execute("BEGIN")
    for i, stmt in enumerate(SCENARIO):
        try:
            db.execute(stmt)
            lerr = None
        except sqlite3.Error as e:
            lerr = str(e)
        lsnap = lite_snapshot(db)
        p = pg_steps.get(str(i), {})
        perr, psnap = p.get("error", "<no result>"), p.get("snap")
        label = f"step {i} ({stmt[:70]}…)"
        if (lerr is None) != (perr is None):
            problem(f"{label}: SQLite {'ok' if lerr is None else 'error: ' + lerr},"
                    f" PostgreSQL {'ok' if perr is None else 'error: ' + perr}")
        elif lerr in TRIGGER_MESSAGES and lerr != perr:
            problem(f"{label}: SQLite error {lerr!r}, PostgreSQL error {perr!r}")
        if lsnap != psnap:
            for tname in lsnap:
                if psnap is None or lsnap[tname] != psnap.get(tname):
                    problem(f"{label}: {tname} SQLite {lsnap[tname]} vs PostgreSQL {psnap and psnap.get(tname)}")
        check_invariants(f"SQLite {label}", lsnap)
        if psnap:
            check_invariants(f"PostgreSQL {label}", psnap)
        print(f"  step {i:2}: {'ok' if lerr is None else 'refused (' + lerr + ')'}")
    db.execute("ROLLBACK")
    trunc = pg_steps.get("truncate", {}).get("error")
    if trunc != "ledger entries are append-only":
        problem(f"TRUNCATE of the ledger tables in PostgreSQL: {trunc or 'accepted'} (expected refused)")
    else:
        print("  TRUNCATE of the ledger tables (PostgreSQL only): refused")


def main():
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DATABASE_URL")
    if not url:
        sys.exit(__doc__)
    db = build_sqlite()
    lite, pg = sqlite_schema(db), pg_schema(url)
    print(f"SQLite: {len(lite['tables'])} tables, {len(lite['views'])} views, {len(lite['indexes'])} indexes,"
          f" {len(lite['triggers'])} triggers; PostgreSQL: {len(pg['tables'])} tables, {len(pg['views'])} views,"
          f" {len(pg['indexes'])} indexes, {len(pg['triggers'])} triggers")
    compare_schema(lite, pg)
    compare_seed(db, url, set(lite["tables"]) & set(pg["tables"]))
    print("trigger scenario (rolled back on both):")
    run_scenario(db, url)
    if problems:
        print(f"{len(problems)} difference(s)")
        sys.exit(1)
    print("no differences")


if __name__ == "__main__":
    main()
