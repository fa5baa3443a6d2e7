using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.Topology.Desired;

/// <summary>
/// An OpenWrt peer (the XE300): its uci config, committed and put live with a rollback timer. The router is
/// reachable only through the tunnel being changed, so the script arms a background job before switching: if no
/// handshake follows the switch within <c>rollbackSeconds</c>, it restores the previous <c>/etc/config/network</c> and
/// restarts the interface, so a bad change can never strand the router.
/// </summary>
public static class OpenWrtRenderer
{
    /// <summary>The router's desired state: its uci command (apply and delete scripts) and live interface.</summary>
    public static HostState Render(Stack stack, PeerSpec peer)
    {
        var ow = peer.OpenWrt!;
        var model = (Func<string, WireGuardPrivateKey> priv, Func<string, WireGuardPresharedKey> psk) => new UciWireGuardInterface(
            ow.Interface,
            priv(peer.PrivateKey!.Name),
            [new Difenn.WireGuard.Net.IpPrefix(peer.Address, stack.Server.Address.PrefixLength)],
            null,
            [new UciWireGuardPeer(
                SectionName: $"{ow.Interface}_server",
                PublicKey: stack.Server.PublicKey,
                PresharedKey: peer.PresharedKey is null ? null : psk(peer.PresharedKey.Name),
                EndpointHost: peer.Endpoint.Host,
                EndpointPort: peer.Endpoint.Port,
                PersistentKeepalive: peer.Keepalive,
                AllowedIPs: peer.AllowedIPs,
                RouteAllowedIps: true,
                Description: "Difenn server")]);
        var watchdog = OpenWrtWatchdog.Program(ow.Interface, stack.Server.PublicKey.ToBase64(), peer.Endpoint, peer.Keepalive);
        // One rendering for the whole script: the batch and the result it must give share the same key markers.
        var create = SecretRendering.Render((priv, psk) =>
        {
            var m = model(priv, psk);
            return ApplyScript(ow.Interface, ow.RollbackSeconds, UciBatchRenderer.SectionNames(m),
                UciBatchRenderer.Render(m, PrivatePackage, deleteFirst: false), UciBatchRenderer.RenderShow(m, PrivatePackage), watchdog, peer.Endpoint.FallbackPort);
        });
        var sections = UciBatchRenderer.SectionNames(model(_ => WireGuardPrivateKey.Generate(), _ => WireGuardPresharedKey.Generate()));
        var delete = SecretText.Plain(DeleteScript(ow.Interface, sections));
        var command = new DesiredCommand($"{peer.Name}-{ow.Interface}",
            $"uci network.{ow.Interface} + peer, commit and put live with a {ow.RollbackSeconds}s rollback timer",
            create, delete, [$"{ServerRenderer.HostName(stack)}-{stack.Server.Interface}"]);

        // Only CT2914 reaches the router, so ssh from there.
        var px = stack.Proxmox;
        var conn = new HostConnection(px.Ssh.Host, px.Ssh.Port, px.Ssh.User, px.Ssh.HostKeys, $"pct exec {px.ContainerId} -- {SshFromServer(ow)}");
        var wg = new WireGuardInterfaceSpec(ow.Interface, $"{peer.Address}/{stack.Server.Address.PrefixLength}", null, peer.PublicKey.ToBase64(),
            [new WireGuardPeerSpec("server", stack.Server.PublicKey.ToBase64(), peer.AllowedIPs.Select(a => a.ToString()).ToList(), peer.Keepalive, $"{peer.Endpoint.Host}:{peer.Endpoint.Port}", peer.PresharedKey is not null)]);
        return new HostState(peer.Name, "openwrt-peer", conn, [], [command], [], [], wg);
    }

    /// <summary>
    /// The ssh command that reaches the router from inside the server's container, through the tunnel (only CT2914
    /// reaches it: the router's AllowedIPs hold the server's VPN address only). ConnectTimeout: with the tunnel down,
    /// fail in seconds rather than after TCP's two minutes.
    /// </summary>
    public static string SshFromServer(OpenWrtSpec ow) =>
        $"ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -p {ow.Ssh.Port} {ow.Ssh.User}@{ow.Ssh.Host}";

    /// <summary>
    /// The package name of the apply script's private copy of <c>/etc/config/network</c>. uci reads staged changes
    /// from <c>/tmp/.uci/&lt;package&gt;</c> whatever <c>-c</c>/<c>-t</c> say, so only another name keeps other tools'
    /// pending changes to <c>network</c> out of what the script compares and installs.
    /// </summary>
    public const string PrivatePackage = "difenn_network";

    /// <summary>
    /// A router command that makes a pending switch (the apply script's change going live) happen
    /// <paramref name="seconds"/> (0–9) from now instead of at the end of its wait; does nothing when none is pending.
    /// Prints <c>told</c>. A key rotation gives the server that second to change first: a router that switched first
    /// would send its handshake to a server not yet on the new config, and WireGuard retries only 5 s later.
    /// </summary>
    public static string SwitchCommand(int seconds) => seconds is < 0 or > 9
        ? throw new ArgumentOutOfRangeException(nameof(seconds), seconds, "0 to 9 seconds")
        : $"f={SwitchFifo}; if [ -p \"$f\" ]; then exec 4<>\"$f\"; echo {seconds} >&4; exec 4<&-; fi; echo told";

    /// <summary>The FIFO a pending switch waits on (see <see cref="SwitchCommand"/>); in the scripts' state directory.</summary>
    private const string SwitchFifo = "/etc/difenn/switch.fifo";

    /// <summary>
    /// The environment variable (a whole number of seconds, below the rollback timer) that makes the apply script wait
    /// that long for <see cref="SwitchCommand"/> before it switches by itself (default 2 s).
    /// </summary>
    public const string SwitchWaitVariable = "DIFENN_SWITCH_WAIT";

    /// <summary>
    /// Shell functions both router scripts start with: a private copy of the committed <c>/etc/config/network</c>
    /// (never the staged changes), <c>u</c> = uci on that copy, <c>ours</c> = our sections as <c>uci show</c> prints
    /// them, <c>install_private</c> = commit the copy and put it in place atomically, <c>forget_our_staged</c> = drop
    /// only our own sections' changes from uci's shared staging (an earlier run cut off before its commit would
    /// otherwise come back at someone else's next commit), <c>cancel_rollback</c> and <c>cancel_switch</c> = stop an
    /// earlier run's pending rollback timer and pending switch.
    /// </summary>
    private static string Prelude(string iface, IReadOnlyList<string> sections) => $$"""
        set -eu
        IFACE={{iface}}
        SECTIONS='{{string.Join(' ', sections)}}'
        PKG={{PrivatePackage}}
        STATE=/etc/difenn
        BACKUP=$STATE/network.before
        SWITCH_FIFO={{SwitchFifo}}
        mkdir -p "$STATE"
        work=$(mktemp -d /tmp/difenn.XXXXXX)
        trap 'rm -rf "$work"' EXIT
        mkdir "$work/conf" "$work/delta"
        touch /etc/config/network
        cp /etc/config/network "$work/conf/$PKG"
        u() { uci -c "$work/conf" -t "$work/delta" "$@"; }
        ours() { for s in $SECTIONS; do u -q show "$PKG.$s" || true; done; }
        forget_our_staged() { for s in $SECTIONS; do uci -q revert "network.$s" 2>/dev/null || true; done; }
        install_private() {
          u commit "$PKG"
          cp "$work/conf/$PKG" /etc/config/.network.difenn
          mv -f /etc/config/.network.difenn /etc/config/network
        }
        latest_handshake() { wg show "$IFACE" latest-handshakes 2>/dev/null | awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}'; }
        cancel_rollback() { if [ -f "$STATE/rollback.pid" ]; then kill "$(cat "$STATE/rollback.pid")" 2>/dev/null || true; rm -f "$STATE/rollback.pid"; fi; }
        # An earlier run's switch still waiting: it is told to give up (the caller switches instead); true if one was.
        cancel_switch() {
          [ -p "$SWITCH_FIFO" ] || return 1
          exec 4<>"$SWITCH_FIFO"; echo cancel >&4; exec 4<&-
          rm -f "$SWITCH_FIFO"
        }

        """;

    /// <summary>
    /// The apply script (OpenWrt's busybox ash); exposed for tests. Works on a private copy of the committed config:
    /// other tools' staged changes are never committed, reverted or compared; only our sections are compared (a
    /// section someone adds after ours changes nothing); the batch's result is checked line for line against
    /// <paramref name="expectedShow"/> before anything is installed (uci batch exits 0 even when a line fails); the
    /// backup to roll back to is the last config that had a handshake.
    /// </summary>
    /// <param name="iface">The uci interface.</param>
    /// <param name="rollbackSeconds">The rollback timer.</param>
    /// <param name="sections">The sections the batch owns.</param>
    /// <param name="batch">The uci batch on <see cref="PrivatePackage"/>, without deletes.</param>
    /// <param name="expectedShow">What <c>uci show</c> must print for those sections afterwards.</param>
    /// <param name="watchdog">The failover watchdog program to install (default none).</param>
    /// <param name="fallbackPort">The endpoint's fallback port (default none): a router live on it stays on it across the switch.</param>
    public static string ApplyScript(string iface, int rollbackSeconds, IReadOnlyList<string> sections, string batch, string expectedShow, string? watchdog = null, int? fallbackPort = null) =>
        Prelude(iface, sections) + $$"""
        FALLBACK_PORT={{fallbackPort?.ToString() ?? ""}}
        # The live WireGuard settings of $IFACE in the network config file $1, in `wg setconf` form, built as netifd's
        # wireguard proto handler builds them (all of the interface's peer sections, disabled ones left out, port 51820
        # by default, IPv6 hosts bracketed). Printed to a pipe only: the private key never goes to another file.
        wg_conf() {
          d=$(mktemp -d /tmp/difenn.XXXXXX)
          cp "$1" "$d/$PKG"
          g() { uci -c "$d" -q get "$PKG.$1" || true; }
          echo "[Interface]"
          echo "PrivateKey = $(g "$IFACE.private_key")"
          v=$(g "$IFACE.listen_port"); [ -z "$v" ] || echo "ListenPort = $v"
          for p in $(uci -c "$d" -X -q show "$PKG" | sed -n "s/^$PKG\.\([^.=]*\)=wireguard_$IFACE\$/\1/p"); do
            [ "$(g "$p.disabled")" != 1 ] || continue
            echo "[Peer]"
            echo "PublicKey = $(g "$p.public_key")"
            v=$(g "$p.preshared_key"); [ -z "$v" ] || echo "PresharedKey = $v"
            h=$(g "$p.endpoint_host"); v=$(g "$p.endpoint_port")
            case "$h" in *:*) h="[$h]" ;; esac
            [ -z "$h" ] || echo "Endpoint = $h:${v:-51820}"
            v=$(g "$p.persistent_keepalive"); [ -z "$v" ] || [ "$v" = 0 ] || echo "PersistentKeepalive = $v"
            v=$(g "$p.allowed_ips"); [ -z "$v" ] || echo "AllowedIPs = $(echo $v | sed 's/ /, /g')"
          done
          rm -rf "$d"
        }
        # Puts the committed config on the live interface. netifd's `network reload` cannot: it ignores peer sections
        # (a new server key, endpoint or preshared key never reaches the interface) and restarts the interface,
        # cutting every session, when the interface section changed. So WireGuard's own settings go in directly, with
        # `wg setconf` (the interface, its addresses and routes stay; every peer starts afresh and handshakes at once).
        # With $1 = restart (addresses, allowed IPs and their routes, MTU... changed) or no live interface yet, netifd
        # restarts it instead (`ifup`: it reloads the config, then brings the interface down and up with all its peers).
        # A router the watchdog moved to the fallback port (its carrier blocks the primary) stays there: the committed
        # config names the primary, and going back would wait for the watchdog's next failover (about 35 s).
        switch_live() {
          if [ "$1" = restart ] || ! wg show "$IFACE" >/dev/null 2>&1; then
            ifup "$IFACE"
          else
            port=$(wg show "$IFACE" endpoints 2>/dev/null | awk 'NR == 1 && NF == 2 {n = split($2, a, ":"); print a[n]}')
            if [ -n "$FALLBACK_PORT" ] && [ "$port" = "$FALLBACK_PORT" ] && [ "$(wg show "$IFACE" peers | wc -l)" = 1 ]; then
              wg_conf /etc/config/network | sed "s/^\(Endpoint = .*\):[0-9]*\$/\1:$FALLBACK_PORT/"
            else
              wg_conf /etc/config/network
            fi | wg setconf "$IFACE" /dev/stdin
          fi
        }

        before=$(ours)
        for s in $SECTIONS; do u -q delete "$PKG.$s" || true; done
        out=$(u batch 2>&1 <<'DIFENN_UCI'
        {{batch}}DIFENN_UCI
        ) || true
        if [ -n "$out" ]; then
          echo "uci batch failed, nothing changed: $(echo "$out" | head -n 1)" >&2
          exit 1
        fi
        after=$(ours)
        expected=$(cat <<'DIFENN_SHOW'
        {{expectedShow}}DIFENN_SHOW
        )
        if [ "$after" != "$expected" ]; then
          echo "uci batch did not give the desired sections, nothing changed" >&2
          exit 1
        fi
        forget_our_staged
        {{(watchdog is null ? "" : OpenWrtWatchdog.InstallFragment(watchdog))}}
        if [ "$after" = "$before" ]; then
          echo "unchanged"
          exit 0
        fi
        # The backup is the last config that had a handshake: while an earlier change is still on probation (its
        # rollback timer pending, no handshake since its switch), the config in place is unverified: keep the backup.
        on_probation() {
          [ -f "$STATE/rollback.pid" ] && kill -0 "$(cat "$STATE/rollback.pid")" 2>/dev/null || return 1
          [ "$(latest_handshake)" -lt "$(cat "$STATE/changed.at" 2>/dev/null || echo 0)" ]
        }
        if ! on_probation || [ ! -f "$BACKUP" ]; then
          # Created 0600 before the config (with the private key) is copied in: never readable by others, not even briefly.
          ( umask 077; : > "$BACKUP" )
          chmod 600 "$BACKUP"
          cat /etc/config/network > "$BACKUP"
        fi
        # Only WireGuard's own settings changed: they go on the live interface without a restart (see switch_live).
        live_only() { grep -Ev "\\.(private_key|listen_port|public_key|preshared_key|endpoint_host|endpoint_port|persistent_keepalive)=" || true; }
        how=live
        [ "$(echo "$before" | live_only)" = "$(echo "$after" | live_only)" ] || how=restart
        # An earlier change not yet live goes live with this one: restart, as its own changes may need it.
        if cancel_switch; then how=restart; fi
        # The switch waits SWITCH_WAIT seconds (default 2: the caller must hear "applied" before the change cuts the
        # tunnel this session runs through), or less when told (SwitchCommand). A key rotation tells it right before
        # the server changes, so both ends change within a second (DIFENN_SWITCH_WAIT is then its longest wait).
        SWITCH_WAIT=${DIFENN_SWITCH_WAIT:-2}
        case "$SWITCH_WAIT" in ''|*[!0-9]*) SWITCH_WAIT=2 ;; esac
        [ "$SWITCH_WAIT" -lt {{rollbackSeconds}} ] || SWITCH_WAIT=2
        install_private
        # When the change goes live (rewritten by the switch itself): the rollback timer wants a handshake after it.
        echo $(( $(date +%s) + SWITCH_WAIT )) > "$STATE/changed.at"
        # Arm the rollback BEFORE switching: the switch may cut the very tunnel this script arrived through. An earlier
        # change's timer still pending is cancelled: this one restores the same backup, on the new change's schedule.
        cancel_rollback
        # The decision is written down (kept / rolled back): a rotation asks for it before it touches the server.
        rm -f {{OpenWrtRollback.DecisionFile}}
        ( trap '' HUP
          sleep {{rollbackSeconds}}
          last=$(latest_handshake)
          now=$(date +%s)
          if [ "$last" -ge "$(cat "$STATE/changed.at" 2>/dev/null || echo $now)" ]; then
            echo "kept $now" > {{OpenWrtRollback.DecisionFile}}
          else
            echo "rolled back $now" > {{OpenWrtRollback.DecisionFile}}
            cp "$BACKUP" /etc/config/network
            # The whole previous config, peers included, through netifd (a reload alone would leave the peers).
            ifup "$IFACE" || /etc/init.d/network reload
            logger -t difenn "rolled back $IFACE: no handshake within {{rollbackSeconds}}s of the change"
          fi
          rm -f "$STATE/rollback.pid" ) </dev/null >/dev/null 2>&1 &
        echo $! > "$STATE/rollback.pid"
        # The switch, in the background, waiting on a FIFO: a line written to it (SwitchCommand: a delay) wakes it.
        # The FIFO is opened read-write before the job starts (it inherits it: a line written early is not lost) and
        # removed on waking, so a late line finds nothing to wake; opening read-write never blocks a writer. A newer
        # run cancels a switch still waiting (cancel_switch) and switches to the config it committed instead.
        rm -f "$SWITCH_FIFO"
        mkfifo -m 600 "$SWITCH_FIFO"
        exec 3<>"$SWITCH_FIFO"
        ( trap '' HUP
          line=
          read -t "$SWITCH_WAIT" line <&3 || true
          exec 3<&-
          # Cancelled by a newer run, which removed the FIFO (the path may already be that run's own FIFO).
          [ "$line" != cancel ] || exit 0
          rm -f "$SWITCH_FIFO"
          case "$line" in [0-9]) sleep "$line" ;; esac
          date +%s > "$STATE/changed.at"
          switch_live $how || logger -t difenn "could not switch $IFACE to the new config ($how)" ) </dev/null >/dev/null 2>&1 &
        exec 3<&-
        echo "applied; switching in ${SWITCH_WAIT}s (sooner when told); rollback armed for {{rollbackSeconds}}s"

        """;

    /// <summary>
    /// The delete script (busybox ash): removes our sections from the committed config (others' staged changes
    /// untouched), cancels a pending rollback (it would bring them back) and a pending switch, and reloads; "absent"
    /// when there was nothing.
    /// </summary>
    public static string DeleteScript(string iface, IReadOnlyList<string> sections) => Prelude(iface, sections) + OpenWrtWatchdog.RemoveFragment + """
        cancel_rollback
        cancel_switch || true
        forget_our_staged
        if [ -z "$(ours)" ]; then
          echo "absent"
          exit 0
        fi
        for s in $SECTIONS; do u -q delete "$PKG.$s" || true; done
        install_private
        rm -f "$BACKUP" "$STATE/changed.at"
        /etc/init.d/network reload
        echo "deleted"

        """;
}
