#!/bin/sh
# embed.sh FILE SYMBOL -- print a C file defining `const unsigned char SYMBOL[]`
# and `const unsigned long SYMBOL_len` with FILE's bytes (od is in coreutils,
# so no xxd is needed).
set -eu
f=$1; sym=$2
echo "/* generated from $f by scripts/embed.sh; do not edit */"
echo "const unsigned char ${sym}[] = {"
od -An -v -tu1 "$f" | awk '{ line=""; for (i = 1; i <= NF; i++) line = line $i ","; print line }'
echo "};"
echo "const unsigned long ${sym}_len = sizeof ${sym};"
