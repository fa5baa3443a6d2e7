#!/usr/bin/env bash
# Benchmark: difenn-relay vs socat (the runbook's relay) vs kernel DNAT vs no relay, same run, same machine.
# Three network namespaces client ⇄ hub ⇄ server; all traffic stays inside them. Needs root, iperf3, sockperf,
# socat, wireguard-go, wg, iptables, python3. Takes about 4 minutes a round. Prints a markdown table; ratios to DNAT.
#   sudo bash tests/Difenn.Relay.Benchmarks/run.sh [ROUNDS]   (default 1 round; medians over rounds)
#   MODES="dnat difenn" TESTS="mixed" sudo -E bash ... runs only those contenders and tests
#   (tests: udp udpr rtt wg wgr cl mixed).
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS=${1:-1}
DUR=${DUR:-5}
RELAY=${DIFENN_RELAY_BINARY:-../../artifacts/relay/difenn-relay}
if [ ! -x "$RELAY" ]; then
  echo "building the AOT relay..." >&2
  dotnet publish ../../src/Difenn.Relay -c Release -r linux-x64 -p:PublishAot=true -o ../../artifacts/relay -v quiet -nologo >&2
  RELAY=../../artifacts/relay/difenn-relay
fi
RELAY=$(readlink -f "$RELAY")
source ./namespaces.sh b # (after the cd above)
nsx() { ip netns exec "$@"; }

HUBPID=""
start_mode() { # mode port any-udp|wg
  local mode=$1 port=$2 kind=$3
  case $mode in
    dnat)   nsx $H iptables -t nat -A PREROUTING -p udp --dport $port -j DNAT --to-destination 10.9.2.2:$port ;;
    socat)  ip netns exec $H socat UDP-LISTEN:$port,fork,reuseaddr UDP:10.9.2.2:$port >/dev/null 2>&1 & HUBPID=$! ;;
    difenn) if [ "$kind" = wg ]; then extra="--server-public-key $(cat $TMP/server.pub)"; else extra="--any-udp"; fi
            ip netns exec $H "$RELAY" --listen $port --backend 10.9.2.2:$port --metrics off --max-sessions 4096 --new-sessions-per-second 1000 $extra >/dev/null 2>&1 & HUBPID=$! ;;
  esac
  sleep 0.5
}
stop_mode() {
  nsx $H iptables -t nat -F PREROUTING
  nsx $H iptables -t nat -F POSTROUTING
  [ -n "$HUBPID" ] && { pkill -9 -P $HUBPID 2>/dev/null || true; kill -9 $HUBPID 2>/dev/null || true; wait $HUBPID 2>/dev/null || true; }
  # Everything a step started in the hub and server namespaces goes (relays, socat children, echo/iperf servers).
  for n in $H $V; do ip netns pids $n | xargs -r kill -9 2>/dev/null || true; done
  HUBPID=""
}
target() { [ "$1" = none ] && echo 10.9.2.2 || echo 10.9.1.2; }

TMP=$(mktemp -d); trap 'cleanup; rm -rf $TMP' EXIT
wg genkey > $TMP/server.key; wg pubkey < $TMP/server.key > $TMP/server.pub
wg genkey > $TMP/client.key; wg pubkey < $TMP/client.key > $TMP/client.pub
chmod 600 $TMP/*.key
# iperf3's TCP control connection always goes straight to the server (kernel DNAT of TCP on the hub).
nsx $H iptables -t nat -A OUTPUT -p tcp -j ACCEPT

raw_udp() { # mode [-R] → delivered Mbit/s (-R: the server sends, through the reply path)
  local mode=$1 rev=${2:-} t; t=$(target $mode)
  start_mode $mode 5201 any
  nsx $H iptables -t nat -I PREROUTING -p tcp --dport 5201 -j DNAT --to-destination 10.9.2.2:5201
  ip netns exec $V iperf3 -s -1 -p 5201 >/dev/null 2>&1 & local sp=$!; sleep 0.5
  local j; j=$(nsx $C iperf3 -c $t -p 5201 -u -b 0 -l 1420 -t $DUR $rev -J 2>/dev/null || true)
  kill $sp 2>/dev/null; wait $sp 2>/dev/null || true
  stop_mode
  python3 -c 'import json,sys
try:
  e=json.loads(sys.stdin.read())["end"]["sum"]; print("%.0f"%(e["bits_per_second"]*(1-e["lost_percent"]/100)/1e6))
except Exception: print("0")' <<<"$j"
}

rtt() { # mode → "p50 p99" µs
  local mode=$1 t; t=$(target $mode)
  start_mode $mode 11111 any
  ip netns exec $V sockperf server -i 10.9.2.2 -p 11111 >/dev/null 2>&1 & local sp=$!; sleep 0.5
  local out; out=$(nsx $C sockperf ping-pong -i $t -p 11111 -m 64 -t $DUR --full-rtt 2>&1 || true)
  kill $sp 2>/dev/null; wait $sp 2>/dev/null || true
  stop_mode
  local p50 p99
  p50=$(grep -E "percentile 50.000" <<<"$out" | awk '{print $NF}')
  p99=$(grep -E "percentile 99.000" <<<"$out" | awk '{print $NF}')
  echo "${p50:-0} ${p99:-0}"
}

wg_tcp() { # mode [-R] → Mbit/s of TCP through a wireguard-go tunnel (-R: a download, server → client)
  local mode=$1 rev=${2:-} t; t=$(target $mode)
  start_mode $mode 51820 wg
  WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 nsx $V wireguard-go wgs$S >/dev/null 2>&1
  WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 nsx $C wireguard-go wgc$S >/dev/null 2>&1
  nsx $V wg set wgs$S private-key $TMP/server.key listen-port 51820 peer "$(cat $TMP/client.pub)" allowed-ips 10.201.0.2/32
  nsx $C wg set wgc$S private-key $TMP/client.key peer "$(cat $TMP/server.pub)" allowed-ips 10.201.0.0/24 endpoint $t:51820 persistent-keepalive 1
  nsx $V ip addr add 10.201.0.1/24 dev wgs$S; nsx $V ip link set wgs$S up
  nsx $C ip addr add 10.201.0.2/24 dev wgc$S; nsx $C ip link set wgc$S up
  nsx $C ping -c 3 -W 2 10.201.0.1 >/dev/null 2>&1 || true
  ip netns exec $V iperf3 -s -1 -B 10.201.0.1 >/dev/null 2>&1 & local sp=$!; sleep 0.5
  local j; j=$(nsx $C iperf3 -c 10.201.0.1 -t $DUR $rev -J 2>/dev/null || true)
  kill $sp 2>/dev/null; wait $sp 2>/dev/null || true
  nsx $V ip link del wgs$S 2>/dev/null || true; nsx $C ip link del wgc$S 2>/dev/null || true
  stop_mode
  python3 -c 'import json,sys
try: print("%.0f"%(json.loads(sys.stdin.read())["end"]["sum_received"]["bits_per_second"]/1e6))
except Exception: print("0")' <<<"$j"
}

clients() { # mode → "answered crossed processes rssMB"
  local mode=$1 t; t=$(target $mode)
  start_mode $mode 7777 any
  ip netns exec $V python3 echo.py 10.9.2.2 7777 >/dev/null 2>&1 & local ep=$!; sleep 0.5
  local j; j=$(nsx $C python3 clients.py $t 7777 200)
  local procs=0 rss=0
  case $mode in
    socat)  procs=$(pgrep -c -f "UDP-LISTEN:7777" || true); rss=$(ps -o rss= -p "$(pgrep -d, -f 'UDP-LISTEN:7777')" 2>/dev/null | awk '{s+=$1} END{print s+0}') ;;
    difenn) procs=1; rss=$(ps -o rss= -p $HUBPID | awk '{print $1+0}') ;;
  esac
  kill $ep 2>/dev/null; wait $ep 2>/dev/null || true
  stop_mode
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["answered"], d["crossed"], sys.argv[2], "%.0f"%(int(sys.argv[3])/1024))' "$j" "$procs" "$rss"
}

mixed() { # mode → "p50 p99" µs of a 64 B round trip while another client sends 1420 B datagrams at full rate to the same port
  local mode=$1 t; t=$(target $mode)
  start_mode $mode 11111 any
  # The bulk crosses the whole relay path and is dropped on arrival at the server (by size): the server's socket
  # then holds only the probe, so the probe's latency is the relay path's, not the backend's queue behind the bulk.
  nsx $V iptables -I INPUT -p udp --dport 11111 -m length --length 1000:65535 -j DROP
  ip netns exec $V sockperf server -i 10.9.2.2 -p 11111 >/dev/null 2>&1 & local sp=$!; sleep 0.5
  # The bulk client: sockperf's throughput mode sends as fast as it can and expects no reply; started first, it
  # runs a second longer than the probe on both sides, so the probe never sees an idle relay.
  nsx $C sockperf throughput -i $t -p 11111 -m 1420 -t $((DUR + 2)) >/dev/null 2>&1 & local bp=$!; sleep 1
  local out; out=$(nsx $C sockperf ping-pong -i $t -p 11111 -m 64 -t $DUR --full-rtt 2>&1 || true)
  wait $bp 2>/dev/null || true
  kill $sp 2>/dev/null; wait $sp 2>/dev/null || true
  nsx $V iptables -D INPUT -p udp --dport 11111 -m length --length 1000:65535 -j DROP
  stop_mode
  local p50 p99
  p50=$(grep -E "percentile 50.000" <<<"$out" | awk '{print $NF}')
  p99=$(grep -E "percentile 99.000" <<<"$out" | awk '{print $NF}')
  echo "${p50:-0} ${p99:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
declare -A R
TESTS=" ${TESTS:-udp udpr rtt wg wgr cl mixed} "
want() { [[ "$TESTS" == *" $1 "* ]]; }
# Rounds outside, contenders inside: each round measures every contender back to back, so a slow spell of the
# shared machine hits all of them rather than one.
for r in $(seq $ROUNDS); do
  for mode in ${MODES:-none dnat socat difenn}; do
    want udp && { echo "$(date +%T) [$mode round $r] raw UDP" >&2; R[$mode,udp,$r]=$(raw_udp $mode); }
    want udpr && { echo "$(date +%T) [$mode round $r] raw UDP, reply direction" >&2; R[$mode,udpr,$r]=$(raw_udp $mode -R); }
    want rtt && { echo "$(date +%T) [$mode round $r] RTT" >&2; R[$mode,rtt,$r]=$(rtt $mode); }
    want wg && { echo "$(date +%T) [$mode round $r] WireGuard TCP" >&2; R[$mode,wg,$r]=$(wg_tcp $mode); }
    want wgr && { echo "$(date +%T) [$mode round $r] WireGuard TCP download" >&2; R[$mode,wgr,$r]=$(wg_tcp $mode -R); }
    want cl && { echo "$(date +%T) [$mode round $r] 200 clients" >&2; R[$mode,cl,$r]=$(clients $mode); }
    want mixed && { echo "$(date +%T) [$mode round $r] RTT under bulk load" >&2; R[$mode,mixed,$r]=$(mixed $mode); echo "  ${R[$mode,mixed,$r]}" >&2; }
  done
done
col() { local mode=$1 key=$2 field=$3; for r in $(seq $ROUNDS); do echo "${R[$mode,$key,$r]:-0 0 0 0}" | awk -v f=$field '{print $f}'; done | median; }
ratio() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); print('%.2f'%(a/b) if b else '-')" "$1" "$2"; }
echo
echo "Benchmark ($(nproc) cores, $(date -u +%Y-%m-%d), medians of $ROUNDS round(s), ${DUR}s each; ratio to kernel DNAT in brackets)"
echo
echo "| | no relay | kernel DNAT | socat | difenn-relay |"
echo "|---|---|---|---|---|"
line="| raw UDP 1420 B, unlimited: delivered Mbit/s |"
for m in none dnat socat difenn; do v=$(col $m udp 1); line+=" $v ($(ratio $v $(col dnat udp 1))) |"; done; echo "$line"
line="| raw UDP 1420 B, reply direction (server → client): delivered Mbit/s |"
for m in none dnat socat difenn; do v=$(col $m udpr 1); line+=" $v ($(ratio $v $(col dnat udpr 1))) |"; done; echo "$line"
line="| round trip p50 / p99 µs, 64 B |"
for m in none dnat socat difenn; do a=$(col $m rtt 1); b=$(col $m rtt 2); line+=" $a / $b ($(ratio $b $(col dnat rtt 2))) |"; done; echo "$line"
line="| WireGuard tunnel (wireguard-go), TCP Mbit/s |"
for m in none dnat socat difenn; do v=$(col $m wg 1); line+=" $v ($(ratio $v $(col dnat wg 1))) |"; done; echo "$line"
line="| WireGuard tunnel, TCP download (server → client) Mbit/s |"
for m in none dnat socat difenn; do v=$(col $m wgr 1); line+=" $v ($(ratio $v $(col dnat wgr 1))) |"; done; echo "$line"
line="| 200 clients at once: answered / crossed |"
for m in none dnat socat difenn; do line+=" $(col $m cl 1) / $(col $m cl 2) |"; done; echo "$line"
line="| round trip p50 / p99 µs, 64 B, while another client sends 1420 B at full rate to the same port |"
for m in none dnat socat difenn; do a=$(col $m mixed 1); b=$(col $m mixed 2); line+=" $a / $b ($(ratio $b $(col dnat mixed 2))) |"; done; echo "$line"
line="| relay processes / RSS MB (200 clients) |"
for m in none dnat socat difenn; do line+=" $(col $m cl 3) / $(col $m cl 4) |"; done; echo "$line"
