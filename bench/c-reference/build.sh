#!/bin/sh
# Build the C reference server next to this script: bench/c-reference/timeserver-c
# (gitignored). Uses the machine's cc; CC and CFLAGS may override.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
${CC:-cc} ${CFLAGS:--O2 -Wall -Wextra} -o "$here/timeserver-c" "$here/timeserver.c"
echo "built $here/timeserver-c"
