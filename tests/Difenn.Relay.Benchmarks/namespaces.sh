# Sourced by the benchmarks: three network namespaces, client $C (10.9.1.1) ⇄ hub $H (10.9.1.2 | 10.9.2.1, forwarding)
# ⇄ server $V (10.9.2.2), joined by veth pairs, removed with everything running in them on exit (the `cleanup`
# function, also trapped on EXIT). All traffic stays inside them. $1: a prefix for the namespace names.
S=$RANDOM; C=${1}c$S; H=${1}h$S; V=${1}s$S
cleanup() { for n in $C $H $V; do ip netns pids $n 2>/dev/null | xargs -r kill -9 2>/dev/null || true; ip netns del $n 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $C $H $V; do ip netns add $n; ip -n $n link set lo up; done
ip link add c$S netns $C type veth peer name h$S netns $H
ip link add g$S netns $H type veth peer name s$S netns $V
ip -n $C addr add 10.9.1.1/24 dev c$S; ip -n $H addr add 10.9.1.2/24 dev h$S
ip -n $H addr add 10.9.2.1/24 dev g$S; ip -n $V addr add 10.9.2.2/24 dev s$S
for link in "$C c$S" "$H h$S" "$H g$S" "$V s$S"; do ip -n ${link% *} link set ${link#* } up; done
ip -n $C route add 10.9.2.0/24 via 10.9.1.2; ip -n $V route add 10.9.1.0/24 via 10.9.2.1
ip netns exec $H sysctl -qw net.ipv4.ip_forward=1
