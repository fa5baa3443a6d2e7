using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.Topology.Desired;

/// <summary>
/// An OpenWrt peer (the XE300): its uci config, committed and reloaded with a rollback timer. The router is
/// reachable only through the tunnel being changed, so the script arms a background job before reloading: if no
/// handshake is recent after <c>rollbackSeconds</c>, it restores the previous <c>/etc/config/network</c> and
/// reloads, so a bad change can never strand the router.
/// </summary>
internal static class OpenWrtRenderer
{
    public static HostState Render(Stack stack, PeerSpec peer)
    {
        var ow = peer.OpenWrt!;
        var batch = SecretRendering.Render((priv, psk) => UciBatchRenderer.Render(new UciWireGuardInterface(
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
                Description: "Difenn server")])));

        var create = SecretText.FromTemplate(ApplyScript(ow.Interface, ow.RollbackSeconds, batch.Template));
        var delete = SecretText.Plain(
            $"set -eu\nuci -q delete network.{ow.Interface} || true\nuci -q delete network.{ow.Interface}_server || true\nuci commit network\n/etc/init.d/network reload\n");
        var command = new DesiredCommand($"{peer.Name}-{ow.Interface}",
            $"uci network.{ow.Interface} + peer, commit and reload with a {ow.RollbackSeconds}s rollback timer",
            create, delete, [$"{ServerRenderer.HostName(stack)}-{stack.Server.Interface}"]);

        // Only CT2914 reaches the router (its AllowedIPs hold the server's VPN address only), so ssh from there;
        // ConnectTimeout: with the tunnel down, fail in seconds rather than after TCP's two minutes.
        var px = stack.Proxmox;
        var sshHops = $"ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -p {ow.Ssh.Port} {ow.Ssh.User}@{ow.Ssh.Host}";
        var conn = new HostConnection(px.Ssh.Host, px.Ssh.Port, px.Ssh.User, px.Ssh.HostKeys, $"pct exec {px.ContainerId} -- {sshHops}");
        var wg = new WireGuardInterfaceSpec(ow.Interface, $"{peer.Address}/{stack.Server.Address.PrefixLength}", null, peer.PublicKey.ToBase64(),
            [new WireGuardPeerSpec("server", stack.Server.PublicKey.ToBase64(), peer.AllowedIPs.Select(a => a.ToString()).ToList(), peer.Keepalive, $"{peer.Endpoint.Host}:{peer.Endpoint.Port}", peer.PresharedKey is not null)]);
        return new HostState(peer.Name, "openwrt-peer", conn, [], [command], [], [], wg);
    }

    /// <summary>The apply script (OpenWrt ash); exposed for tests.</summary>
    public static string ApplyScript(string iface, int rollbackSeconds, string batchTemplate) => $$"""
        set -eu
        IFACE={{iface}}
        BACKUP=/etc/difenn/network.before
        mkdir -p /etc/difenn
        before=$(uci export network)
        uci -q batch <<'DIFENN_UCI'
        {{batchTemplate}}DIFENN_UCI
        # The batch deletes and rebuilds our sections, so compare the resulting config, not the change log.
        if [ "$(uci export network)" = "$before" ]; then
          uci revert network
          echo "unchanged"
          exit 0
        fi
        # /etc/config/network still holds the previous config until the commit: keep it to roll back to.
        # Created 0600 before the config (with the private key) is copied in: never readable by others, not even briefly.
        ( umask 077; : > "$BACKUP" )
        chmod 600 "$BACKUP"
        cat /etc/config/network > "$BACKUP"
        uci commit network
        # Arm the rollback BEFORE reloading: the reload may cut the very tunnel this script arrived through. An earlier
        # change's timer still pending is cancelled: it would restore from the same backup, on its own schedule.
        if [ -f /etc/difenn/rollback.pid ]; then kill "$(cat /etc/difenn/rollback.pid)" 2>/dev/null || true; fi
        # The decision is written down (kept / rolled back): a rotation asks for it before it touches the server.
        rm -f {{OpenWrtRollback.DecisionFile}}
        ( trap '' HUP
          sleep {{rollbackSeconds}}
          last=$(wg show "$IFACE" latest-handshakes 2>/dev/null | awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}')
          now=$(date +%s)
          if [ $((now - last)) -le {{rollbackSeconds}} ]; then echo "kept $now" > {{OpenWrtRollback.DecisionFile}}; fi
          if [ $((now - last)) -gt {{rollbackSeconds}} ]; then
            echo "rolled back $now" > {{OpenWrtRollback.DecisionFile}}
            cp "$BACKUP" /etc/config/network
            /etc/init.d/network reload
            logger -t difenn "rolled back $IFACE: no handshake within {{rollbackSeconds}}s of the change"
          fi
          rm -f /etc/difenn/rollback.pid ) </dev/null >/dev/null 2>&1 &
        echo $! > /etc/difenn/rollback.pid
        # Reload a moment after answering: a key change cuts the very tunnel this session runs through, and the
        # caller must hear "applied" before it goes (it then changes the server, which brings the tunnel back).
        # Then start the handshake at once rather than at WireGuard's next retry (up to 5 s away, if the server was not
        # ready for the first): while none has completed since the reload, renew the peer every second (a fresh peer
        # initiates at once; the key never touches the disk). Ten tries, then WireGuard's own retries.
        ( trap '' HUP; sleep 2; /etc/init.d/network reload
          reloaded=$(date +%s); tries=0
          while [ $tries -lt 10 ]; do
            sleep 1; tries=$((tries + 1))
            last=$(wg show "$IFACE" latest-handshakes 2>/dev/null | awk 'BEGIN{m=0} {if ($2>m) m=$2} END{print m}')
            [ "$last" -ge "$reloaded" ] && break
            wg showconf "$IFACE" 2>/dev/null | wg setconf "$IFACE" /dev/stdin 2>/dev/null || true
          done ) </dev/null >/dev/null 2>&1 &
        echo "applied; reload in 2s; rollback armed for {{rollbackSeconds}}s"

        """;
}
