#!/usr/bin/env bash
# A throwaway S3-compatible server (moto) for the blob bucket tests.
#
#   scripts/s3-test-server.sh start DIR   start moto_server in DIR; prints its endpoint URL (one line)
#   scripts/s3-test-server.sh stop DIR    stop it and remove DIR
#
# Layout: DIR/pid (the server's process id), DIR/log (its log). The server listens on 127.0.0.1 on a
# free port, accepts any access key, and keeps everything in memory: buckets die with it. moto is
# installed into MOTO_VENV (default ~/.cache/storyloom/moto-venv) the first time.
set -euo pipefail

MOTO_VENV="${MOTO_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/storyloom/moto-venv}"

die() { echo "s3-test-server: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }

ensure_moto() {
    [ -x "$MOTO_VENV/bin/moto_server" ] && return 0
    echo "s3-test-server: installing moto[server] into $MOTO_VENV" >&2
    python3 -m venv "$MOTO_VENV" >&2 || die "python3 -m venv failed (apt-get install python3-venv)"
    "$MOTO_VENV/bin/pip" install --quiet 'moto[server]' >&2 || die "pip install 'moto[server]' failed"
}

# A port nothing listens on now. Another process may take it before moto binds it: start retries.
pick_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        # A connection that succeeds means someone listens there already.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

is_running() {
    [ -f "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null
}

start() {
    local dir=$1
    if [ -e "$dir" ]; then
        dir=$(cd "$dir" && pwd)
        is_running "$dir" && die "a server is already running in $dir (stop it first: $0 stop $dir)"
        # Only a left-over directory of this script is cleared; anything else is not ours to delete.
        if [ -f "$dir/log" ] && [ -z "$(ls -A "$dir" | grep -v -x -e log -e pid)" ]; then
            rm -rf "$dir"
        elif [ -n "$(ls -A "$dir")" ]; then
            die "$dir exists and is not empty (and holds no server of this script)"
        fi
    fi
    ensure_moto
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    : >"$dir/log"

    local port attempt pid
    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        # setsid: the server outlives this shell (the caller's trap stops it), and no terminal
        # signal of the caller's reaches it.
        setsid "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >>"$dir/log" 2>&1 </dev/null &
        pid=$!
        echo "$pid" >"$dir/pid"
        for _ in $(seq 1 100); do
            if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
                echo "http://127.0.0.1:$port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill "$pid" 2>/dev/null || true
        # Lost the race for the port: try another. Any other failure is final.
        if ! grep -q "Address already in use" "$dir/log"; then
            tail -n 20 "$dir/log" >&2
            die "moto_server did not start (log: $dir/log)"
        fi
        [ "$attempt" -lt 5 ] || die "no port could be bound in $attempt attempts (log: $dir/log)"
    done
}

stop() {
    local dir=$1
    [ -e "$dir" ] || return 0
    dir=$(cd "$dir" && pwd)
    # Refuse to delete a directory that is not a server of this script.
    [ -f "$dir/log" ] || die "$dir holds no server of this script; not removing it"
    if is_running "$dir"; then
        local pid
        pid=$(cat "$dir/pid")
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) usage ;;
esac
