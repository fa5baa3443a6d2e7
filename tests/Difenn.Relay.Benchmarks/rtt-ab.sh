#!/usr/bin/env bash
# Round-trip A/B: kernel DNAT and one or more relay binaries, alternated ROUNDS times on the same namespaces and the
# same sockperf server, so scheduler drift hits every contender alike. Prints the median p50/p99 and every round's
# p99. A benchmark, not a test: needs root, sockperf, iptables.
#   sudo bash tests/Difenn.Relay.Benchmarks/rtt-ab.sh ROUNDS dnat /path/to/difenn-relay-A /path/to/difenn-relay-B
set -uo pipefail
ROUNDS=${1:?usage: rtt-ab.sh ROUNDS dnat|RELAY_BINARY...}; shift; MODES=("$@"); DUR=${DUR:-3}
source "$(dirname "$0")/namespaces.sh" a
ip netns exec $V sockperf server -i 10.9.2.2 -p 11111 >/dev/null 2>&1 &
sleep 0.5
declare -A P50 P99
for r in $(seq $ROUNDS); do
  for m in "${MODES[@]}"; do
    pid=""
    if [ "$m" = dnat ]; then
      ip netns exec $H iptables -t nat -A PREROUTING -p udp --dport 11111 -j DNAT --to-destination 10.9.2.2:11111
    else
      ip netns exec $H "$m" --listen 11111 --backend 10.9.2.2:11111 --metrics off --any-udp >/dev/null 2>&1 & pid=$!
    fi
    sleep 0.4
    out=$(ip netns exec $C sockperf ping-pong -i 10.9.1.2 -p 11111 -m 64 -t $DUR --full-rtt 2>&1)
    P50[$m]+="$(grep -E "percentile 50.000" <<<"$out" | awk '{print $NF}') "
    P99[$m]+="$(grep -E "percentile 99.000" <<<"$out" | awk '{print $NF}') "
    ip netns exec $H iptables -t nat -F PREROUTING
    [ -n "$pid" ] && { kill $pid; wait $pid 2>/dev/null; }
  done
done
med() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
for m in "${MODES[@]}"; do echo "$m: p50 $(echo ${P50[$m]} | med) µs, p99 $(echo ${P99[$m]} | med) µs (each round's p99: ${P99[$m]})"; done
