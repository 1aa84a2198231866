#!/bin/sh
# Unpacks Debian's NTPsec (ntpd, ntptime) under bench/accuracy/ntpsec/ without
# installing it: its package conflicts with chrony's, which the tests use.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/ntpsec/usr/sbin/ntpd" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download ntpsec >/dev/null)
dpkg -x "$work"/ntpsec_*.deb "$here/ntpsec"
echo "unpacked $here/ntpsec/usr/sbin/ntpd"
