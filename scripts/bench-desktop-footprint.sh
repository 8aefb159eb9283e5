#!/usr/bin/env bash
# Desktop footprint (issue 15 item 11): for each desktop binary given, in alternating rounds, the
# time from exec to the first API request the page makes (the UI is up and asking for the project
# list), and, after 10 s idle on an empty data dir, the resident and proportional memory of the
# app's process and of WebKit's processes, plus the app's largest mappings. Under Xvfb; not part
# of CI. Usage: scripts/bench-desktop-footprint.sh BIN [BIN ...]   (ROUNDS=5, IDLE=10)
set -euo pipefail
ROUNDS="${ROUNDS:-5}"
IDLE="${IDLE:-10}"
[ $# -ge 1 ] || { echo "usage: $0 BIN [BIN ...]" >&2; exit 2; }
command -v Xvfb >/dev/null || { echo "needs Xvfb (apt-get install xvfb)" >&2; exit 1; }

one_run() { # BIN -> "first_ms app_rss app_pss web_rss web_pss net_rss net_pss" and the mapping table on fd 3
  local bin="$1" d xv pid start first=""
  d="$(mktemp -d)"
  Xvfb -displayfd 4 -screen 0 1280x800x24 -nolisten tcp 4>"$d/display" >/dev/null 2>&1 &
  xv=$!
  for _ in $(seq 1 100); do [ -s "$d/display" ] && break; sleep 0.05; done
  start=$(date +%s%N)
  DISPLAY=":$(cat "$d/display")" STORYLOOM_DATA_DIR="$d/data" RUST_LOG=info "$bin" >"$d/log" 2>&1 &
  pid=$!
  for _ in $(seq 1 800); do
    if grep -q 'uri=app://localhost/api/v1' "$d/log" 2>/dev/null; then first=$(( ($(date +%s%N) - start) / 1000000 )); break; fi
    sleep 0.01
  done
  sleep "$IDLE"
  python3 - "$pid" <<'PY'
import os, re, sys, collections
root = int(sys.argv[1])
def children(p):
    out = []
    for t in os.listdir(f'/proc/{p}/task'):
        try: out += [int(x) for x in open(f'/proc/{p}/task/{t}/children').read().split()]
        except OSError: pass
    return out
todo, procs = [root], []
while todo:
    p = todo.pop(); procs.append(p); todo += children(p)
def mem(p):
    rss = int([l for l in open(f'/proc/{p}/status') if l.startswith('VmRSS')][0].split()[1])
    pss = int([l for l in open(f'/proc/{p}/smaps_rollup') if l.startswith('Pss:')][0].split()[1])
    return rss // 1024, pss // 1024
by = {}
for p in procs:
    name = open(f'/proc/{p}/comm').read().strip()
    key = 'web' if name.startswith('WebKitWebProc') else 'net' if name.startswith('WebKitNetwork') else 'app' if p == root else None
    if key: by[key] = mem(p)
vals = [by.get(k, (0, 0)) for k in ('app', 'web', 'net')]
print(' '.join(f'{a} {b}' for a, b in vals))
agg, name = collections.Counter(), None
for line in open(f'/proc/{root}/smaps'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ', line):
        parts = line.split(); name = os.path.basename(parts[5]) if len(parts) > 5 else '[anon]'
    elif line.startswith('Rss:'):
        agg[name] += int(line.split()[1])
with open('/dev/fd/3', 'w') as out:
    for k, v in agg.most_common(8): out.write(f'  {v // 1024:4d} MB  {k}\n')
PY
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  kill "$xv" 2>/dev/null; wait "$xv" 2>/dev/null || true
  rm -rf "$d"
  echo "first=$first" >&2
}

declare -A FIRST MEM
MAPS="$(mktemp)"
for round in $(seq 1 "$ROUNDS"); do
  for bin in "$@"; do
    out="$( { one_run "$bin" 3>>"$MAPS.$round.$(basename "$bin")"; } 2>&1 )"
    first="$(grep -o 'first=[0-9]*' <<<"$out" | cut -d= -f2)"
    FIRST[$bin]+="${first:-NA} "
    MEM[$bin]="$(grep -v '^first=' <<<"$out" | tail -1)"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), rounds $ROUNDS, idle $IDLE s"
echo "| binary | first API request (median; all, ms) | app RSS / PSS (MB) | WebKitWebProcess RSS / PSS | WebKitNetworkProcess RSS / PSS |"
echo "|---|---|---|---|---|"
for bin in "$@"; do
  read -r ar ap wr wp nr np <<<"${MEM[$bin]}"
  echo "| $(basename "$bin") | $(median <<<"${FIRST[$bin]}") (${FIRST[$bin]% }) | $ar / $ap | $wr / $wp | $nr / $np |"
done
for bin in "$@"; do
  echo; echo "largest mappings of $(basename "$bin")'s process (last round):"
  cat "$MAPS.$ROUNDS.$(basename "$bin")"
done
rm -f "$MAPS"*
