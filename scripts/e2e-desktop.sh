#!/usr/bin/env bash
# Desktop end-to-end test: the real Storyloom window (Tauri + WebKitGTK) under Xvfb, driven by
# WebDriver through tauri-driver, with pytest + selenium (tests/e2e/desktop/).
#
# Needs (Debian 12): libwebkit2gtk-4.1-dev (build), webkit2gtk-driver (WebKitWebDriver), xvfb,
# python3-venv; ui/dist must be built (the binary embeds it). Installs on first use: tauri-driver
# (cargo install) and a venv with selenium + pytest under target/e2e-venv.
#
# Env: PYTEST_ARGS (extra pytest arguments), CARGO_TARGET_DIR (honoured), KEEP_E2E_DIR=1 (keep the
# temporary data directory and logs), E2E_RELEASE=1 (test the production-like build:
# --release --features custom-protocol, much slower to compile), STORYLOOM_DESKTOP_BIN=/path (skip
# the cargo build and test that already built `storyloom-desktop` binary instead; it embeds the
# ui/dist it was built with, so build it from the tree under test). Screenshots go to
# tests/e2e/desktop/artifacts/, and the app's / tauri-driver's log to
# tests/e2e/desktop/artifacts/tauri-driver.log.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
ARTIFACTS="$ROOT/tests/e2e/desktop/artifacts"
VENV="$TARGET_DIR/e2e-venv"

log() { printf '[e2e-desktop] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PREBUILT="${STORYLOOM_DESKTOP_BIN:-}"
tools="Xvfb WebKitWebDriver python3"
[ -n "$PREBUILT" ] && command -v tauri-driver >/dev/null 2>&1 || tools="$tools cargo"
for tool in $tools; do
  command -v "$tool" >/dev/null 2>&1 ||
    die "$tool not found (apt-get install xvfb webkit2gtk-driver python3-venv; Rust toolchain)"
done
[ -f "$ROOT/ui/dist/index.html" ] || die "ui/dist/index.html is missing: build the UI first (cd ui && npm ci && npm run build)"

if [ -n "$PREBUILT" ]; then
  [ -f "$PREBUILT" ] || die "STORYLOOM_DESKTOP_BIN=$PREBUILT is not a file"
  # The tests need an absolute path (they find the app's process by its executable).
  BIN="$(cd "$(dirname "$PREBUILT")" && pwd)/$(basename "$PREBUILT")"
  log "using the prebuilt desktop shell $BIN (STORYLOOM_DESKTOP_BIN; no cargo build)"
elif [ "${E2E_RELEASE:-0}" = 1 ]; then
  log "building the desktop shell (release, custom-protocol)"
  cargo build --release -p storyloom-desktop --features custom-protocol
  BIN="$TARGET_DIR/release/storyloom-desktop"
else
  log "building the desktop shell"
  cargo build -p storyloom-desktop
  BIN="$TARGET_DIR/debug/storyloom-desktop"
fi
[ -x "$BIN" ] || die "no binary at $BIN"

if ! command -v tauri-driver >/dev/null 2>&1; then
  log "installing tauri-driver"
  cargo install tauri-driver --locked
  export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

if [ ! -x "$VENV/bin/pytest" ] || ! "$VENV/bin/python" -c 'import selenium' 2>/dev/null; then
  log "creating $VENV (selenium, pytest)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check selenium pytest
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/storyloom-e2e-desktop.XXXXXX")"
XVFB_PID=""
DRIVER_PID=""
cleanup() {
  local status=$?
  # tauri-driver runs in its own process group (setsid): end it with WebKitWebDriver and the app.
  if [ -n "$DRIVER_PID" ] && kill -0 "$DRIVER_PID" 2>/dev/null; then
    kill -TERM -- "-$DRIVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$DRIVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DRIVER_PID" 2>/dev/null || true
  fi
  if [ -n "$XVFB_PID" ] && kill -0 "$XVFB_PID" 2>/dev/null; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [ "${KEEP_E2E_DIR:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Xvfb picks a free display itself and writes its number to fd 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$WORK/display" >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/display" ] && break
  kill -0 "$XVFB_PID" 2>/dev/null || die "Xvfb exited: $(cat "$WORK/xvfb.log")"
  sleep 0.1
done
[ -s "$WORK/display" ] || die "Xvfb did not report a display"
export DISPLAY=":$(head -n1 "$WORK/display" | tr -d '[:space:]')"
log "Xvfb on $DISPLAY"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
DRIVER_PORT="$(free_port)"
NATIVE_PORT="$(free_port)"
while [ "$NATIVE_PORT" = "$DRIVER_PORT" ]; do NATIVE_PORT="$(free_port)"; done

# The app is started by WebKitWebDriver, a child of tauri-driver, and inherits this environment:
# that is how it gets its (fresh, empty) data directory.
export STORYLOOM_DATA_DIR="$WORK/data"
# WebKit keeps its own storage (localStorage, caches) under the XDG dirs: keep runs independent of
# each other and of the real home directory.
export XDG_DATA_HOME="$WORK/xdg/data" XDG_CACHE_HOME="$WORK/xdg/cache" XDG_CONFIG_HOME="$WORK/xdg/config"
mkdir -p "$STORYLOOM_DATA_DIR" "$ARTIFACTS" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME"
export RUST_LOG="${RUST_LOG:-info}"
# The sync test drives every sync itself (`sync/now`): a background sync landing between the
# desktop's edit and the server's would push the desktop's first, and the conflict the test makes
# would depend on timing (it failed CI once that way).
export STORYLOOM_SYNC_INTERVAL_SECS=0
# Desktop updates (docs/API-UPDATES.md): the app asks a local update server the tests run on this
# port (test_desktop.py's UpdateServer), with a key to verify updates by (a debug build reads it at
# run time; its private half does not exist, so nothing could be installed from it).
UPDATE_PORT="$(free_port)"
export STORYLOOM_TEST_UPDATE_PORT="$UPDATE_PORT"
export STORYLOOM_UPDATE_URL="http://127.0.0.1:$UPDATE_PORT"
export STORYLOOM_UPDATE_PUBKEY="dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDMxNEQ0RjRGNEM1MjU0NTMKUldSVFZGSk1UMDlOTVJGYkRFWDd4d1Q2KzZ3SjhtL004ajd2cTdzaUtGYjNZT2tzVVJtSk4yaTgK"

setsid tauri-driver --port "$DRIVER_PORT" --native-port "$NATIVE_PORT" \
  >"$ARTIFACTS/tauri-driver.log" 2>&1 </dev/null &
DRIVER_PID=$!
for _ in $(seq 1 100); do
  python3 - "$DRIVER_PORT" <<'EOF' 2>/dev/null && break
import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
EOF
  kill -0 "$DRIVER_PID" 2>/dev/null || die "tauri-driver exited: $(cat "$ARTIFACTS/tauri-driver.log")"
  sleep 0.1
done
log "tauri-driver on 127.0.0.1:$DRIVER_PORT (WebKitWebDriver on $NATIVE_PORT)"

export STORYLOOM_DESKTOP_BIN="$BIN"
# The team server the sync test links to: the core's own binary (cargo test built it).
SERVER_BIN="$TARGET_DIR/debug/storyloom"
if [ ! -x "$SERVER_BIN" ]; then
  log "building the team server (storyloom, server feature)"
  cargo build --features server --bin storyloom
fi
export STORYLOOM_TEST_SERVER_BIN="$SERVER_BIN"
export TAURI_DRIVER_URL="http://127.0.0.1:$DRIVER_PORT"
# shellcheck disable=SC2086
"$VENV/bin/python" -m pytest "$ROOT/tests/e2e/desktop" -v -p no:cacheprovider ${PYTEST_ARGS:-}
