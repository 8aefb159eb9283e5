#!/usr/bin/env bash
# Hot paths (issue 15 item 9): `GET /api/v1/projects?page=1&limit=20` through `storyloom serve` and
# through a FastAPI + uvicorn peer (benches/peer_fastapi/app.py) over an identical copy of the same
# SQLite database, measured with wrk in one run. Prints Markdown rows. Not part of CI.
#
# It installs wrk (apt) and FastAPI + uvicorn (PyPI, into a venv under the cache dir) when missing,
# builds the server binary when missing, seeds a data dir through the API, and binds only 127.0.0.1.
#
# Environment (all optional):
#   STORYLOOM_BIN   the server binary (default: $CARGO_TARGET_DIR or target, release/storyloom)
#   DURATION        wrk duration per target (default 10s); WARMUP (default 3s)
#   CONNECTIONS     wrk connections (default 64); THREADS wrk threads (default 2)
#   PROJECTS        projects of the benchmark's user (default 100; another user gets as many)
#   PEERS           which peers to run: "standard" (uvicorn[standard]: uvloop + httptools),
#                   "plain" (uvicorn's asyncio + h11) or "standard plain" (default "standard plain")
#   BENCH_CACHE     where the venv and the run's data go (default ~/.cache/storyloom/bench-hot-paths)
#   KEEP=1          keep the run's data dir and logs
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BENCH_CACHE:-$HOME/.cache/storyloom/bench-hot-paths}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
PROJECTS="${PROJECTS:-100}"
PEERS="${PEERS:-standard plain}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${STORYLOOM_BIN:-$TARGET_DIR/release/storyloom}"
PATH_QS="/api/v1/projects?page=1&limit=20"

say() { printf '%s\n' "$*" >&2; }

# --- tools -------------------------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  say "installing wrk (apt)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
  else sudo apt-get install -y wrk >/dev/null; fi
fi
mkdir -p "$CACHE"
for flavour in $PEERS; do
  venv="$CACHE/venv-$flavour"
  if ! "$venv/bin/python" -c 'import fastapi, uvicorn' 2>/dev/null; then
    say "installing FastAPI + uvicorn ($flavour) into $venv"
    python3 -m venv "$venv"
    case "$flavour" in
      standard) "$venv/bin/pip" install -q fastapi 'uvicorn[standard]' ;;
      plain) "$venv/bin/pip" install -q fastapi uvicorn ;;
      *) say "unknown peer flavour '$flavour' (standard or plain)"; exit 2 ;;
    esac
  fi
done
if [ ! -x "$BIN" ]; then
  say "building the server binary (cargo build --release -p storyloom --features server)"
  (cd "$ROOT" && cargo build --release -p storyloom --features server >&2)
fi

# --- a seeded data dir -------------------------------------------------------------------------
RUN="$(mktemp -d "$CACHE/run.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" != 1 ]; then rm -rf "$RUN"; else say "kept $RUN"; fi
}
trap cleanup EXIT

DATA="$RUN/data"
"$BIN" --data-dir "$DATA" migrate >/dev/null 2>&1
USER_ID="$("$BIN" --data-dir "$DATA" create-user bench 2>/dev/null)"
KEY="$("$BIN" --data-dir "$DATA" create-api-key "$USER_ID" --scopes read,write 2>/dev/null)"
OTHER_ID="$("$BIN" --data-dir "$DATA" create-user other 2>/dev/null)"
OTHER_KEY="$("$BIN" --data-dir "$DATA" create-api-key "$OTHER_ID" --scopes read,write 2>/dev/null)"

# Waits for `STORYLOOM_LISTENING http://…` on $1 (the server's stdout file); prints the URL.
wait_listening() {
  for _ in $(seq 1 200); do
    if url="$(grep -m1 -o 'http://[0-9.:]*' "$1" 2>/dev/null)"; then echo "$url"; return 0; fi
    sleep 0.05
  done
  say "the server did not start:"; cat "$RUN"/*.err >&2; return 1
}

start_storyloom() {
  # Rate limits far above the load, as the browser tests do; logging as shipped (info, to a file).
  "$BIN" serve --addr 127.0.0.1:0 --data-dir "$DATA" --auth accounts \
    --rate-auth 1000 --rate-queries 100000000 --rate-other 100000000 --rate-generation 100000 \
    >"$RUN/storyloom.out" 2>"$RUN/storyloom.err" &
  PIDS+=($!)
  STORYLOOM_PID=$!
  STORYLOOM_URL="$(wait_listening "$RUN/storyloom.out")"
}

start_storyloom
say "seeding $PROJECTS projects for each of 2 users through $STORYLOOM_URL"
python3 - "$STORYLOOM_URL" "$PROJECTS" "$KEY" "$OTHER_KEY" <<'PY'
import json, sys, urllib.request
url, n, keys = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ratios = ["9:16", "16:9", "1:1"]
for k, key in enumerate(keys):
    for i in range(n):
        body = {"name": f"Episode {i + 1} of user {k}", "description": "A short drama " * (i % 7),
                "aspect_ratio": ratios[i % 3]}
        if i % 4 == 0:
            body["style"] = "noir"
        req = urllib.request.Request(url + "/api/v1/projects", data=json.dumps(body).encode(),
                                     headers={"content-type": "application/json", "x-api-key": key})
        pid = json.load(urllib.request.urlopen(req))["id"]
        if i % 5 == 0:
            req = urllib.request.Request(url + f"/api/v1/projects/{pid}", method="PATCH",
                                         data=json.dumps({"status": "in_progress", "cost_cap": 500}).encode(),
                                         headers={"content-type": "application/json", "x-api-key": key})
            urllib.request.urlopen(req).read()
PY

# The peer reads an identical copy (SQLite's backup API: a consistent snapshot of the live file).
python3 - "$DATA/storyloom.db" "$RUN/peer.db" <<'PY'
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.execute("PRAGMA journal_mode = WAL")
dst.close(); src.close()
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_peer() { # $1 = flavour
  local port; port="$(free_port)"
  (cd "$ROOT/benches/peer_fastapi" && PEER_DB="$RUN/peer.db" exec "$CACHE/venv-$1/bin/uvicorn" app:app \
      --host 127.0.0.1 --port "$port" --workers 2 >"$RUN/peer-$1.out" 2>"$RUN/peer-$1.err") &
  PIDS+=($!)
  PEER_PID=$!
  PEER_URL="http://127.0.0.1:$port"
  for _ in $(seq 1 200); do
    if curl -fs -o /dev/null -H "x-api-key: $KEY" "$PEER_URL$PATH_QS"; then return 0; fi
    sleep 0.1
  done
  say "the $1 peer did not start:"; cat "$RUN/peer-$1.err" >&2; return 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Both must answer the same body (same items, same order, same totals).
same_body() { # $1 = url
  curl -fs -H "x-api-key: $KEY" "$STORYLOOM_URL$PATH_QS" >"$RUN/a.json"
  curl -fs -H "x-api-key: $KEY" "$1$PATH_QS" >"$RUN/b.json"
  python3 - "$RUN/a.json" "$RUN/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a == b, f"the bodies differ:\n{json.dumps(a)[:600]}\n{json.dumps(b)[:600]}"
assert len(a["items"]) == 20 or a["total"] < 20, a
PY
}

# Runs wrk against $2; prints a Markdown row named $1.
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -H "x-api-key: $KEY" "$2$PATH_QS" >/dev/null
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "x-api-key: $KEY" "$2$PATH_QS" >"$RUN/wrk.txt"
  python3 - "$1" "$RUN/wrk.txt" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
rps = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
def pct(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v * {"us": 0.001, "ms": 1, "s": 1000}[unit]
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
socket = re.search(r"Socket errors: (.*)", text)
note = []
if errors: note.append(f"{errors.group(1)} non-2xx")
if socket: note.append("socket errors: " + socket.group(1))
print(f"| {name} | {rps:,.0f} | {pct(50):.2f} ms | {pct(90):.2f} ms | {pct(99):.2f} ms | {'; '.join(note)} |")
PY
}

echo "| server | requests/s | p50 | p90 | p99 | errors |"
echo "|---|---|---|---|---|---|"
measure "storyloom serve (Rust, axum)" "$STORYLOOM_URL"
stop "$STORYLOOM_PID"
for flavour in $PEERS; do
  start_storyloom
  start_peer "$flavour"
  same_body "$PEER_URL"
  stop "$STORYLOOM_PID"
  case "$flavour" in
    standard) label="FastAPI + uvicorn[standard] (uvloop, httptools), 2 workers" ;;
    plain) label="FastAPI + uvicorn (asyncio, h11), 2 workers" ;;
  esac
  measure "$label" "$PEER_URL"
  stop "$PEER_PID"
done
say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "$PROJECTS projects per user, $CONNECTIONS connections, $THREADS wrk threads, $DURATION per target after a $WARMUP warm-up"
