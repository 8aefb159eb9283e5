#!/usr/bin/env bash
# Sets everything up, then runs Storyloom.
#   bash scripts/run.sh               # the main job, headless: the sample script → out/rebirth_ep1.mp4
#   bash scripts/run.sh render FILE [storyloom render options…]   # the same for your script
#   bash scripts/run.sh desktop       # the desktop app
#   bash scripts/run.sh server        # the web UI / API on http://127.0.0.1:8080 (this user only)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
target_dir="${CARGO_TARGET_DIR:-target}"
mode="${1:-render}"
[ $# -gt 0 ] && shift
case "$mode" in
  render)
    cargo build --release -p storyloom
    if [ $# -eq 0 ]; then
      mkdir -p out
      set -- assets/samples/rebirth_ep1.txt -o out/rebirth_ep1.mp4
    fi
    "$target_dir/release/storyloom" render "$@"
    echo "==> the desktop app: bash scripts/run.sh desktop"
    ;;
  desktop)
    cargo build --release -p storyloom-desktop --features tauri/custom-protocol
    exec "$target_dir/release/storyloom-desktop" ;;
  server)
    cargo build --release -p storyloom --features server
    echo "==> open http://127.0.0.1:8080 (Ctrl-C stops the server)"
    exec "$target_dir/release/storyloom" serve --addr 127.0.0.1:8080 --auth local --ui-dir ui/dist ;;
  *) echo "usage: scripts/run.sh [render [SCRIPT -o OUT.mp4 …]|desktop|server]" >&2; exit 2 ;;
esac
