"""The peer for scripts/bench-hot-paths.sh: `GET /api/v1/projects?page=&limit=` in FastAPI + uvicorn
over an identical copy of the benchmark's Storyloom database (sqlite3 from the standard library).

It does what Storyloom's handler does, as cheaply as plain FastAPI code can: the `x-api-key` header is
hashed (SHA-256) and looked up with its user (revoked, expired and inactive keys are refused; the
key's last use is recorded at most once a minute), the `read` scope is checked, then the same two
SQL statements as `projects::list_page` (the total and the page) build the same JSON body.

Run: `PEER_DB=/path/to/copy.db uvicorn app:app --workers 2` (the script does this).
"""
import hashlib
import os
import sqlite3
import threading
from datetime import datetime, timedelta, timezone

from fastapi import FastAPI, Header, Query
from fastapi.responses import JSONResponse

DB = os.environ["PEER_DB"]

# The two statements of `projects::list_page` (src/projects/mod.rs) without a status filter,
# verbatim: the test `the_benchmark_peer_runs_the_same_statements` fails if they drift.
COUNT_SQL = os.environ.get("PEER_COUNT_SQL") or open(os.path.join(os.path.dirname(__file__), "count.sql")).read()
PAGE_SQL = os.environ.get("PEER_PAGE_SQL") or open(os.path.join(os.path.dirname(__file__), "page.sql")).read()

KEY_SQL = """SELECT k.id, k.user_id, k.scopes, k.expires_at, k.revoked_at, k.last_used_at, u.status, u.role
             FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?"""

_local = threading.local()


def conn() -> sqlite3.Connection:
    c = getattr(_local, "c", None)
    if c is None:
        c = sqlite3.connect(DB, check_same_thread=False, isolation_level=None)
        c.execute("PRAGMA busy_timeout = 5000")
        c.execute("PRAGMA foreign_keys = ON")
        _local.c = c
    return c


def parse_time(s):
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None


def error(status, code, detail):
    return JSONResponse({"detail": detail, "error_code": code, "retryable": False}, status_code=status)


app = FastAPI()


@app.get("/api/v1/projects")
def list_projects(
    page: int = Query(1, ge=1),
    limit: int = Query(20, ge=1, le=100),
    x_api_key: str | None = Header(None),
):
    if x_api_key is None:
        return error(401, "AUTH_REQUIRED", "authentication required")
    c = conn()
    row = c.execute(KEY_SQL, (hashlib.sha256(x_api_key.encode()).hexdigest(),)).fetchone()
    if row is None:
        return error(401, "AUTH_INVALID", "the API key is not valid")
    key_id, user_id, scopes, expires_at, revoked_at, last_used_at, status, _role = row
    now = datetime.now(timezone.utc)
    if revoked_at is not None:
        return error(401, "AUTH_INVALID", "the API key has been revoked")
    exp = parse_time(expires_at)
    if exp is not None and exp <= now:
        return error(401, "AUTH_INVALID", "the API key has expired")
    if status != "active":
        return error(401, "AUTH_INVALID", f"the account is {status}")
    used = parse_time(last_used_at)
    if used is None or now - used > timedelta(seconds=60):
        stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        c.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (stamp, key_id))
    if "read" not in scopes.split(","):
        return error(403, "FORBIDDEN", "this API key lacks the 'read' scope")
    offset = (page - 1) * limit
    total = c.execute(COUNT_SQL, (user_id,)).fetchone()[0]
    # The limit is written into the statement as Storyloom does (1-100, checked above).
    rows = c.execute(PAGE_SQL.replace("{limit}", str(limit)), (user_id, None, None, offset)).fetchall()
    items = [
        {
            "id": r[0],
            "name": r[1],
            "description": r[2],
            "aspect_ratio": r[3],
            "style": r[11],
            "status": r[4],
            "script": r[5],
            "current_version_id": r[8],
            "workspace_id": r[9],
            "cost_cap": r[10],
            "thumbnail_asset_id": r[12],
            "created_at": r[6],
            "updated_at": r[7],
        }
        for r in rows
    ]
    return {
        "items": items,
        "total": total,
        "page": page,
        "limit": limit,
        "totalPages": -(-total // limit),
    }
