#!/bin/sh
# test_abi.sh -- the shared library's ABI promises (issue 10, item 6):
# only jitrl_* symbols exported, a SONAME of libjitrl.so.N with N the
# header's JITRL_ABI_VERSION, no FILE * in the public headers, every public
# options/config struct led by its own size, and a C program linked against
# the .so alone (not the static archive) can open, use and free through it.
set -u
ROOT=${JITRL_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${JITRL_BUILD:-$ROOT/build}
SO=$BUILD/libjitrl.so
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
[ -e "$SO" ] || { echo "missing $SO (make builds it)"; exit 1; }
command -v nm >/dev/null && command -v readelf >/dev/null || { echo "nm/readelf missing (binutils)"; exit 1; }

# 1. Exported symbols: all jitrl_, and the well-known ones are there.
syms=$(nm -D --defined-only "$SO" | awk '$2 ~ /^[TDBRVWi]$/ {print $3}')
n=$(printf '%s\n' "$syms" | grep -c .)
[ "$n" -gt 50 ] || fail "only $n exported symbols: the export macro is missing"
bad=$(printf '%s\n' "$syms" | grep -v '^jitrl_' | head -5)
[ -z "$bad" ] || fail "non-jitrl_ symbols exported: $bad"
for s in jitrl_version jitrl_free jitrl_env_create jitrl_memory_open jitrl_decide_json jitrl_query_open; do
    printf '%s\n' "$syms" | grep -qx "$s" || fail "$s is not exported"
done
for s in jr_malloc mem_decide zvm_run; do
    printf '%s\n' "$syms" | grep -qx "$s" && fail "internal $s is exported"
done

# 2. SONAME matches the header's ABI number.
abi=$(sed -n 's/^#define JITRL_ABI_VERSION \([0-9]*\).*/\1/p' "$ROOT/include/jitrl/error.h")
[ -n "$abi" ] || fail "no JITRL_ABI_VERSION in include/jitrl/error.h"
soname=$(readelf -d "$SO" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libjitrl.so.$abi" ] || fail "SONAME is '$soname', expected libjitrl.so.$abi"

# 3. No FILE * in the public API.
grep -n 'FILE *\*' "$ROOT"/include/jitrl.h "$ROOT"/include/jitrl/*.h && fail "FILE * in a public header"

# 4. Options/config structs start with size_t size.
for t in jitrl_env_methods jitrl_env_info jitrl_zgame_options jitrl_memory_options jitrl_zvm_options \
         jitrl_llm_config jitrl_agent_config jitrl_params jitrl_serve_options; do
    first=$(awk -v t="$t" '/typedef struct/ && $3 == t {getline; print; exit}' "$ROOT"/include/jitrl/*.h)
    printf '%s\n' "$first" | grep -q 'size_t size;' || fail "$t does not start with size_t size: '$first'"
done

# 5. A program linked against the shared library only.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cat >"$T/abi.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include "jitrl.h"
int main(void)
{
    jitrl_memory *mem = NULL;
    char err[256];
    if (jitrl_memory_open(":memory:", NULL, &mem, err, sizeof err) != JITRL_OK) { puts(err); return 1; }
    char *out = NULL;
    int rc = jitrl_decide_json(mem, "{\"state\":{\"current\":\"a room\"},\"candidates\":[{\"action\":\"north\"}],\"seed\":1}", &out);
    int ok = rc == JITRL_OK && out && strstr(out, "\"choice\"");
    printf("%s %s\n", jitrl_version(), out ? out : "(null)");
    jitrl_free(out);
    jitrl_memory_close(mem);
    return ok ? 0 : 1;
}
EOF
if [ "${JITRL_SANITIZED:-}" = 1 ]; then
    echo "note: the sanitized library needs its runtime first; the plain-program link runs in the normal pass"
elif ${CC:-cc} -std=c11 -I"$ROOT/include" -o "$T/abi" "$T/abi.c" -L"$BUILD" -ljitrl -Wl,-rpath,"$BUILD" 2>"$T/cc.err"; then
    ldd "$T/abi" | grep -q 'libjitrl.so.0' || fail "the test program does not load libjitrl.so.0"
    out=$("$T/abi" 2>&1) || fail "program over the shared library failed: $out"
    printf '%s\n' "$out" | grep -q "^$abi\." || fail "jitrl_version() does not start with the ABI number: $out"
else
    cat "$T/cc.err"; fail "could not link a program against $SO"
fi

[ $fails -eq 0 ] || exit 1
echo "FIGURE abi: $n exported symbols, all jitrl_; SONAME $soname"
echo ok
