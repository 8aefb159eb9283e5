#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests.
#
#   scripts/pg-cluster.sh start DIR   create and start a cluster in DIR; prints its URL (one line)
#   scripts/pg-cluster.sh stop DIR    stop it (fast) and remove DIR
#
# Layout: DIR/data (the cluster), DIR/log (server log), DIR/.s.PGSQL.PORT (unix socket). The server
# listens on 127.0.0.1 on a free port, trusts every local connection (user postgres) and trades
# durability for speed (fsync off): never put data you want to keep in it.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DB_NAME=storyloom

die() { echo "pg-cluster: $*" >&2; exit 1; }

usage() { die "usage: $0 start|stop DIR"; }

# initdb and pg_ctl refuse to run as root: as root, run them as the postgres user (who must own
# the cluster's files); as anyone else, run them as that user.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A port nothing listens on now. Another process may take it before the server binds it: start
# retries with a new one when the bind fails.
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
    [ -f "$1/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1
}

start() {
    local dir=$1
    [ -x "$PG_BIN/initdb" ] || die "no PostgreSQL binaries in $PG_BIN (apt-get install postgresql)"
    if [ -e "$dir" ]; then
        dir=$(cd "$dir" && pwd)
        if is_running "$dir"; then
            die "a cluster is already running in $dir (stop it first: $0 stop $dir)"
        fi
        # Only a left-over cluster of this script is cleared; anything else is not ours to delete.
        if [ -f "$dir/data/PG_VERSION" ]; then
            rm -rf "$dir"
        elif [ -n "$(ls -A "$dir")" ]; then
            die "$dir exists and is not empty (and holds no cluster of this script)"
        fi
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The server creates its socket in DIR: a unix socket path has at most 107 bytes.
    [ "${#dir}" -le 90 ] || die "$dir is too long for a unix socket path (use a shorter DIR)"
    if [ "$(id -u)" -eq 0 ]; then
        getent passwd postgres >/dev/null || die "running as root needs a postgres user"
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" \
            || die "user postgres cannot write to $dir (a parent directory is closed to it?)"
    fi
    # Tools run as postgres must not start in a directory closed to it (e.g. /root).
    cd "$dir"
    # The server (as postgres) appends to the log that this shell starts: postgres must own it.
    as_pg touch "$dir/log"

    # Output goes to the log: stdout carries the URL only.
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
        --no-sync --no-instructions >>"$dir/log" 2>&1 \
        || { tail -n 20 "$dir/log" >&2; die "initdb failed (log: $dir/log)"; }

    local socket_dir=${dir//\'/\'\'}
    cat >>"$dir/data/postgresql.conf" <<CONF

# pg-cluster.sh: a throwaway test cluster.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$socket_dir'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

    local port attempt logged
    for attempt in 1 2 3 4 5; do
        port=$(pick_port)
        logged=$(wc -c <"$dir/log")
        if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -o "-p $port" -w -t 60 start \
            >/dev/null 2>&1; then
            break
        fi
        # Lost the race for the port (this attempt's log says so): try another. Any other failure
        # is final.
        if ! tail -c +$((logged + 1)) "$dir/log" | grep -q "could not create any TCP/IP sockets"; then
            tail -n 20 "$dir/log" >&2
            die "the server did not start (log: $dir/log)"
        fi
        [ "$attempt" -lt 5 ] || die "no port could be bound in $attempt attempts (log: $dir/log)"
    done

    as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres "$DB_NAME" >>"$dir/log" 2>&1 \
        || { tail -n 20 "$dir/log" >&2; die "createdb failed (log: $dir/log)"; }
    echo "postgres://postgres@127.0.0.1:$port/$DB_NAME"
}

stop() {
    local dir=$1
    [ -e "$dir" ] || return 0
    dir=$(cd "$dir" && pwd)
    # Refuse to delete a directory that is not a cluster of this script.
    [ -f "$dir/data/PG_VERSION" ] || die "$dir holds no cluster of this script; not removing it"
    cd "$dir"
    if is_running "$dir"; then
        as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    cd /
    rm -rf "$dir"
}

[ $# -eq 2 ] || usage
case $1 in
    start) start "$2" ;;
    stop) stop "$2" ;;
    *) usage ;;
esac
