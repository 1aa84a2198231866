#!/bin/sh
# Build the benchmark's C programs (gitignored binaries next to their sources):
#   bench/c-reference/timeserver-c   the TCP reference server
#   bench/c-reference/udpserver-c    the UDP reference server (SNTP, RFC 868, daytime)
#   bench/c-loadgen/loadgen          the load generator
#   bench/accuracy/probe             the SNTP accuracy probe
# Uses the machine's cc; CC and CFLAGS may override.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
loadgen=$(cd "$here/../c-loadgen" && pwd)
cc=${CC:-cc}
flags=${CFLAGS:--O2 -Wall -Wextra}
$cc $flags -pthread -o "$here/timeserver-c" "$here/timeserver.c"
$cc $flags -o "$here/udpserver-c" "$here/udpserver.c"
$cc $flags -o "$loadgen/loadgen" "$loadgen/loadgen.c"
accuracy=$(cd "$here/../accuracy" && pwd)
$cc $flags -o "$accuracy/probe" "$accuracy/probe.c" -lm
echo "built $here/timeserver-c $here/udpserver-c $loadgen/loadgen $accuracy/probe"
