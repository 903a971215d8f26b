# pgtest.sh -- sourced by the shell tests that need PostgreSQL: pg_test_start
# makes a throw-away cluster in $P (a fresh /tmp directory, scripts/pg.sh)
# and sets URI; PostgreSQL missing skips the test (exit 77) except under
# CI=true, where it, like a server that does not start, fails.  The caller's
# cleanup runs pg_test_stop.
pg_test_start() {
    P=$(mktemp -d /tmp/jitrl-pg-XXXXXX)
    URI=$(sh "$ROOT/scripts/pg.sh" start "$P")
    pg_rc=$?
    if [ $pg_rc -eq 77 ]; then
        [ "${CI:-}" = true ] && { echo "PostgreSQL is not installed and CI=true: failing"; exit 1; }
        echo "PostgreSQL is not installed (apt-get install postgresql): skipped"; exit 77
    fi
    [ $pg_rc -eq 0 ] || { echo "the PostgreSQL server did not start"; exit 1; }
}
pg_test_stop() {
    [ -n "${P:-}" ] || return 0
    sh "$ROOT/scripts/pg.sh" stop "$P" >/dev/null 2>&1
    rm -rf "$P"
}
