#!/bin/sh
# SPDX-License-Identifier: MIT
# Source checks from STYLE.md 3.12: 80 columns (a long string literal
# alone may pass), no tabs, no trailing blanks, no bare TODO/FIXME/XXX,
# an SPDX line atop every .c file, and no banned calls in src/lib
# (strcpy, sprintf, atoi, strtok, raw malloc/free). Prints each problem
# as FILE:LINE: what, and "N passed, N failed" (one check per file).
set -u
cd "$(dirname "$0")/.."
files=$(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/*.c' \
        'tests/*.h' 'bench/*.c' 2>/dev/null)
passed=0
failed=0
for f in $files; do
    out=$(awk -v f="$f" '
        length($0) > 80 && $0 !~ /^[ \t]*"([^"\\]|\\.)*"[,;)]*[ \t]*$/ {
            print f ":" NR ": longer than 80 columns" }
        /\t/ { print f ":" NR ": tab" }
        /[ \t]$/ { print f ":" NR ": trailing blank" }
        /(TODO|FIXME)/ || /(^|[^X])XXX([^X]|$)/ {
            print f ":" NR ": bare TODO/FIXME/XXX" }
        NR == 1 && f ~ /\.c$/ && $0 !~ /SPDX-License-Identifier/ {
            print f ":1: no SPDX line" }
        f ~ /^src\/lib\// && f != "src/lib/alloc.c" \
            && /(^|[^_a-z])(strcpy|sprintf|atoi|strtok|malloc|free)\(/ \
            && $0 !~ /checksrc: allow/ && $0 !~ /^[ \t]*\/?\*/ {
            print f ":" NR ": banned call in src/lib" }
    ' "$f")
    if [ -n "$out" ]; then
        echo "$out"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
# Every file with a Limitation: comment is named in docs/LIMITATIONS.md.
for f in $(sh scripts/limitations.sh | cut -d: -f1 | sort -u); do
    if grep -q "$f" docs/LIMITATIONS.md; then
        passed=$((passed + 1))
    else
        echo "$f: has a Limitation: comment but docs/LIMITATIONS.md does not name it"
        failed=$((failed + 1))
    fi
done
echo "checksrc: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
