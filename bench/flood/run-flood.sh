#!/bin/bash
# Spoofed-source flood: N distinct 127.x.y.z sources (flood.c) at full speed
# against timeserver, with a fresh-client probe (probe.mjs) throughout and the
# peak RSS of the server's processes sampled every 100 ms.
# Usage: bash bench/flood/run-flood.sh [sources] [cgroup-name] [extra server args...]
#   cgroup-name: an existing cgroup v1 memory group to start the server in, or "-"
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sources=${1:-2000000}; cgroup=${2:--}; shift 2 || shift $#
port=${FLOOD_PORT:-5123}; mport=$((port + 1))
cc -O2 -o /tmp/timeserver-flood "$here/flood.c" || exit 1
cmd="exec node $root/dist/src/cli/timeserver.js --port 0 --ntp-port $port --rate-limit 50 --rate-burst 10 --log-level warn --local --metrics-port $mport $*"
if [ "$cgroup" != "-" ]; then
  sh -c "echo \$\$ > /sys/fs/cgroup/memory/$cgroup/cgroup.procs; $cmd" & pid=$!
else
  sh -c "$cmd" & pid=$!
fi
rss() { # KiB, the server and its children
  local total=0 p
  for p in $pid $(pgrep -P "$pid"); do
    total=$((total + $(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null || echo 0)))
  done
  echo $total
}
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$mport/healthz" >/dev/null && break; sleep 0.1; done
sleep 1
base=$(rss); peak=$base
node "$here/probe.mjs" "$port" "${PROBE_SECONDS:-20}" > /tmp/timeserver-flood-probe.txt 2>/dev/null & probe=$!
sleep 1
start=$(date +%s.%N)
/tmp/timeserver-flood "$port" "$sources" > /tmp/timeserver-flood-sent.txt & flood=$!
while kill -0 $probe 2>/dev/null; do
  now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
  kill -0 $flood 2>/dev/null && fend=$(date +%s.%N)
  sleep 0.1
done
wait $flood
alive=yes; kill -0 $pid 2>/dev/null || alive=no
taken=$(curl -sf "http://127.0.0.1:$mport/metrics" | awk '/^timeserver_received_bytes_total.*ntp/{s+=$2} END{printf "%d", s/48}')
during=$(awk -v s="$start" -v e="$fend" '$1/1000 >= s && $1/1000 <= e {n++; a+=$2} END{printf "%d of %d", a, n}' /tmp/timeserver-flood-probe.txt)
all=$(awk '{n++; a+=$2} END{printf "%d of %d", a, n}' /tmp/timeserver-flood-probe.txt)
echo "sources $(cat /tmp/timeserver-flood-sent.txt) in $(echo "$fend - $start" | bc) s; taken in $taken; fresh probes answered during the flood $during, whole run $all"
echo "rss all processes: base $((base / 1024)) MiB, peak $((peak / 1024)) MiB, growth $(((peak - base) / 1024)) MiB; server alive at end: $alive"
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
