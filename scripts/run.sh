#!/usr/bin/env bash
# Sets everything up and starts Storyloom: the desktop app when a display is available, otherwise
# the web UI served on http://127.0.0.1:8080 for this user only (local mode, loopback).
#   bash scripts/run.sh            # desktop app (or web UI when headless)
#   bash scripts/run.sh server     # the web UI / API server on 127.0.0.1:8080
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mode="${1:-auto}"
if [ "$mode" = auto ]; then
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then mode=desktop; else mode=server; fi
fi
case "$mode" in
  desktop)
    cargo build --release -p storyloom-desktop --features tauri/custom-protocol
    exec target/release/storyloom-desktop ;;
  server)
    cargo build --release -p storyloom --features server
    echo "==> open http://127.0.0.1:8080 (Ctrl-C stops the server)"
    exec target/release/storyloom serve --addr 127.0.0.1:8080 --auth local --ui-dir ui/dist ;;
  *) echo "usage: scripts/run.sh [desktop|server]" >&2; exit 2 ;;
esac
