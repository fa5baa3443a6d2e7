#!/usr/bin/env bash
# Round-trip A/B: kernel DNAT and one or more relay binaries, alternated ROUNDS times on the same namespaces and the
# same sockperf server, so scheduler drift hits every contender alike. Prints the median p50/p99 and every round's
# p99. A benchmark, not a test: needs root, sockperf, iptables.
#   sudo bash tests/Difenn.Relay.Benchmarks/rtt-ab.sh ROUNDS dnat /path/to/difenn-relay-A /path/to/difenn-relay-B
set -uo pipefail
ROUNDS=${1:?usage: rtt-ab.sh ROUNDS dnat|RELAY_BINARY...}; shift; MODES=("$@"); DUR=${DUR:-3}
S=$RANDOM; C=ac$S; H=ah$S; V=as$S
cleanup() { for n in $C $H $V; do ip netns pids $n 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $C $H $V; do ip netns add $n; ip -n $n link set lo up; done
ip link add c$S netns $C type veth peer name h$S netns $H
ip link add g$S netns $H type veth peer name s$S netns $V
ip -n $C addr add 10.9.1.1/24 dev c$S; ip -n $H addr add 10.9.1.2/24 dev h$S
ip -n $H addr add 10.9.2.1/24 dev g$S; ip -n $V addr add 10.9.2.2/24 dev s$S
for l in "$C c$S" "$H h$S" "$H g$S" "$V s$S"; do set -- $l; ip -n $1 link set $2 up; done
ip -n $C route add 10.9.2.0/24 via 10.9.1.2; ip -n $V route add 10.9.1.0/24 via 10.9.2.1
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1
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
