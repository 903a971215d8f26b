#!/bin/sh
# pg.sh -- a throw-away PostgreSQL cluster for the tests.
#
#   sh scripts/pg.sh start DIR   initdb in DIR/data (first time), start it, print its URI
#   sh scripts/pg.sh stop DIR    stop it (fast shutdown); the data stays for another start
#   sh scripts/pg.sh uri DIR     print the URI
#
# DIR is a fresh directory of the caller's (mktemp -d).  The server listens
# on a unix socket in DIR only (listen_addresses ''), so clusters of
# several worktrees never meet, and runs with fsync off (its data is thrown
# away).  PostgreSQL refuses to run as root: as root the cluster runs as the
# `postgres` system user the Debian package creates, and DIR is handed to
# it.  Binaries: $PG_BIN, else the newest /usr/lib/postgresql/*/bin.
# Exit status: 0, 77 when PostgreSQL is not installed, 1 on any failure.
set -eu
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: pg.sh start|stop|uri DIR" >&2
    exit 1
fi
port=5432   # only names the socket file in DIR: no TCP port is opened
uri="postgresql:///postgres?host=$dir&port=$port&user=jitrl"
if [ "$cmd" = uri ]; then
    echo "$uri"
    exit 0
fi
bin=${PG_BIN:-}
if [ -z "$bin" ]; then
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bin=$d; done
fi
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "pg.sh: PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin; apt-get install postgresql)" >&2
    exit 77
fi
[ -d "$dir" ] || { echo "pg.sh: $dir is not a directory" >&2; exit 1; }
# as: run a command as the cluster's owner
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "pg.sh: running as root but there is no postgres user" >&2; exit 1; }
    chown postgres "$dir"
    as() { runuser -u postgres -- "$@"; }
    as test -w "$dir" || { echo "pg.sh: user postgres cannot write $dir (is a parent directory closed to it?)" >&2; exit 1; }
else
    as() { "$@"; }
fi
case "$cmd" in
start)
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as "$bin/initdb" -D "$dir/data" -U jitrl -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
            { echo "pg.sh: initdb failed:" >&2; tail -n 20 "$dir/initdb.log" >&2; exit 1; }
    fi
    as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $port -c listen_addresses= -F -c full_page_writes=off -c max_connections=60" \
        start >/dev/null 2>&1 ||
        { echo "pg.sh: the server did not start:" >&2; tail -n 20 "$dir/server.log" >&2; exit 1; }
    echo "$uri"
    ;;
stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
        { echo "pg.sh: the server did not stop" >&2; exit 1; }
    ;;
*)
    echo "usage: pg.sh start|stop|uri DIR" >&2
    exit 1
    ;;
esac
