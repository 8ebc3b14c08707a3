#!/bin/sh
# /test.sh of the demo guests: the verdict, then the race report of the
# bundled workload traced with everything this kernel allows.
echo "######## Debian kernel $(uname -r) ########"
/bin/khugetrace check-kernel
/bin/khugetrace races >/tmp/races.out 2>/tmp/races.err &
pid=$!
while ! grep -q "^Tracing" /tmp/races.err 2>/dev/null; do sleep 0.2; done
grep -v "^Tracing" /tmp/races.err
/bin/khugetrace-workload mixed >/dev/null 2>&1
/bin/khugetrace-workload seek-storm -s 1 -n 2 >/dev/null 2>&1
kill -INT $pid
wait $pid
# one report per rule, then the counts
awk '/^\[/ { rule = $2; if (seen[rule]++) { skip = 1; next } skip = 0 }
     /^[0-9]+ bugs?,/ { print; next }
     !skip' /tmp/races.out
echo "demo:0"
