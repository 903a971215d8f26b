# transcript.sh -- helpers shared by the game tests (sourced, not run).
#
# The project's transcript rule (issue #2): two interpreters agree when they
# print the same sequence of words.  Line wrapping, blank lines and prompt
# characters may differ, and dfrotz's own "Warning: @..." lines are not game
# text.  So a transcript is reduced to one word per line: warnings dropped,
# split on white space, leading '>' prompt characters stripped, empty words
# dropped.

DFROTZ=${DFROTZ:-/usr/games/dfrotz}
[ -x "$DFROTZ" ] || DFROTZ=$(command -v dfrotz 2>/dev/null || echo /usr/games/dfrotz)

# words FILE -- the word sequence of a transcript, one word per line.
words() {
    grep -v '^Warning: @' "$1" | tr -s ' \t\r\n' '\n' | sed 's/^>*//' | grep -v '^$'
}

# have_dfrotz -- true when dfrotz can run.
have_dfrotz() { [ -x "$DFROTZ" ]; }

# need_dfrotz -- skip (or fail under CI) when dfrotz is missing.
need_dfrotz() {
    have_dfrotz && return 0
    if [ "${CI:-}" = true ]; then
        echo "dfrotz is missing (scripts/bootstrap.sh installs frotz)"; exit 1
    fi
    echo "dfrotz is missing: install frotz (scripts/bootstrap.sh)"; exit 77
}

# run_dfrotz STORY INPUT OUT -- play STORY with INPUT the way the suite does.
# Only standard output is game text (dfrotz says "EOT" on standard error).
# dfrotz runs in OUT's folder, so a transcript it is asked to write (output
# stream 2, default name STORY.scr) lands there and not in the checkout.
run_dfrotz() {
    _s=$(realpath "$1"); _i=$(realpath "$2"); _o=$(realpath -m "$3")
    (cd "$(dirname "$_o")" && "$DFROTZ" -m -p -q -s 1 "$_s" <"$_i" >"$_o" 2>"$_o.err")
}

# run_jitrl STORY INPUT OUT -- the same through `jitrl run`; the game's own
# save files (SAVE / RESTORE) go to OUT's folder, as dfrotz's do.
run_jitrl() {
    timeout 60 "$JITRL_BIN" run --seed 1 --save-dir "$(dirname "$3")" "$1" <"$2" >"$3" 2>"$3.err"
}

# have_jitrl_run -- true once the CLI has a working `jitrl run` (its --help
# names it).  After that, any failure of `jitrl run` is a test failure.
have_jitrl_run() {
    [ -x "${JITRL_BIN:-}" ] || return 1
    "$JITRL_BIN" run --help 2>&1 | grep -q 'jitrl run'
}

# same_words NAME A B -- compare word sequences of transcripts A and B;
# print the first differences and return 1 when they differ.  Scratch files
# go to $T (the caller's temporary directory).
same_words() {
    words "$2" >"$T/a.words"; words "$3" >"$T/b.words"
    if cmp -s "$T/a.words" "$T/b.words"; then return 0; fi
    echo "MISMATCH $1: word sequences differ ($2 vs $3); first differences:"
    diff "$T/a.words" "$T/b.words" | head -20 | sed 's/^/    /'
    return 1
}
