#!/bin/sh
# gen_facts.sh -- print src/env/zgame/facts_data.c: data/games.tsv as one C string, so
# the facts travel inside the library and work from any directory.
#   sh scripts/gen_facts.sh > src/env/zgame/facts_data.c
set -eu
cd "$(dirname "$0")/.."
echo "/* facts_data.c -- generated from data/games.tsv by scripts/gen_facts.sh; do not edit. */"
echo "#include \"env_int.h\""
echo ""
echo "const char env_facts_tsv[] ="
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/\t/\\t/g' -e 's/^/    "/' -e 's/$/\\n"/' data/games.tsv
echo "    ;"
