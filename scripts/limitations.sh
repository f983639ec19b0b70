#!/bin/sh
# SPDX-License-Identifier: MIT
# Lists every "Limitation:" comment in the tree as FILE:LINE and its
# text (the comment's lines joined), for docs/LIMITATIONS.md and for a
# check that the document names every one of them.
set -eu
cd "$(dirname "$0")/.."
git ls-files 'src/*' 'tests/*' 'bench/*' | grep -E '\.(c|h|sh|js|lua)$' |
while read -r f; do
    awk -v f="$f" '
        /Limitation:/ { on = 1; n = NR; text = "" }
        on {
            line = $0
            sub(/^[ \t]*(\/\*+|\*|\/\/|--|#)?[ \t]*/, "", line)
            sub(/[ \t]*\*\/.*$/, "", line)
            sub(/^.*Limitation:[ \t]*/, "", line)
            text = text (text == "" ? "" : " ") line
            if ($0 ~ /\*\// || $0 ~ /;[ \t]*$/ || $0 ~ /\.[ \t]*$/) {
                print f ":" n ": " text
                on = 0
            }
        }' "$f"
done
