#!/bin/sh
# /test.sh inside a qemu guest: the same live tests as on the host, every
# attach mode this kernel offers, plus the kernel's own facts for the log.
echo "guest: $(uname -r)"
/bin/khugetrace probe | sed 's/^/  probe| /'
echo "guest: collapse modes: $(/bin/khugetrace probe --modes)"
KHT=/bin/khugetrace KW=/bin/khugetrace-workload UNIT=/bin/unit-tests \
	READY_TIMEOUT=120 sh /bin/live-tests.sh
