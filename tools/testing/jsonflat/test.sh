#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# jsonflat must accept valid documents, print the right paths, and reject
# invalid ones.
J=${1:-./jsonflat}
fail=0
ok() { printf '%s' "$1" | "$J" >/dev/null 2>&1 || { echo "FAIL: rejected valid: $1"; fail=1; }; }
bad() { printf '%s' "$1" | "$J" >/dev/null 2>&1 && { echo "FAIL: accepted invalid: $1"; fail=1; }; }
ok '{"a":[{"b":"x"},2,-1.5e3,true,false,null],"c":{}}'
ok ' [ ] '
ok '"\u00e9\ud83d\ude00\n"'
bad '{"a":1,}'
bad '{"a" 1}'
bad '[1 2]'
bad '{"a":1}x'
bad '01'
bad '"\x"'
bad '{"a":tru}'
bad ''
bad '"abc'
out=$(printf '{"a":[{"b":"x y"},2],"n":null}' | "$J")
want='.a[0].b=x y
.a[0]#=1
.a[1]=2
.a#=2
.n=null
#=2'
[ "$out" = "$want" ] || { echo "FAIL: flattened output:"; echo "$out"; fail=1; }
[ $fail = 0 ] && echo "jsonflat: all checks passed"
exit $fail
