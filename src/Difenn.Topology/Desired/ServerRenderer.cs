using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Net;

namespace Difenn.Topology.Desired;

/// <summary>
/// CT2914: <c>/etc/wireguard/wg0.conf</c> (0600) and a reload that keeps the tunnel up when only peers change
/// (<c>wg syncconf</c> of the stripped config); a full <c>wg-quick</c> restart only when interface-level wg-quick
/// keys (Address, MTU, ...) change; <c>wg-quick@wg0</c> enabled.
/// </summary>
internal static class ServerRenderer
{
    public static string HostName(Stack stack) => $"ct{stack.Proxmox.ContainerId}";

    public static HostState Render(Stack stack)
    {
        var server = stack.Server;
        var path = $"/etc/wireguard/{server.Interface}.conf";
        var content = SecretRendering.Render((priv, psk) => WgQuickWriter.Write(new WgQuickConfig(
            new InterfaceSection { PrivateKey = priv(server.PrivateKey.Name), Addresses = [server.Address], ListenPort = server.ListenPort },
            stack.Peers.Select(p => new PeerSection
            {
                Comment = p.Name,
                PublicKey = p.PublicKey,
                PresharedKey = p.PresharedKey is null ? null : psk(p.PresharedKey.Name),
                AllowedIPs = [new IpPrefix(p.Address, p.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)],
                PersistentKeepalive = p.Keepalive > 0 ? p.Keepalive : null,
            }).ToList())));

        var name = HostName(stack);
        var create = SecretText.FromTemplate(ApplyScript(server.Interface, path, content.Template));
        var delete = SecretText.Plain($"set -eu\nwg-quick down {server.Interface} 2>/dev/null || true\nsystemctl disable wg-quick@{server.Interface} >/dev/null 2>&1 || true\nrm -f {Sh.Quote(path)}\n");
        var commands = new List<DesiredCommand>
        {
            new($"{name}-{server.Interface}", $"{path} (0600) and live reload of {server.Interface}", create, delete, [$"{stack.Hub.Name}-relay"]),
        };
        var px = stack.Proxmox;
        var conn = new HostConnection(px.Ssh.Host, px.Ssh.Port, px.Ssh.User, px.Ssh.HostKeys, $"pct exec {px.ContainerId} --");
        var wg = new WireGuardInterfaceSpec(server.Interface, server.Address.ToString(), server.ListenPort, server.PublicKey.ToBase64(),
            stack.Peers.Select(p => new WireGuardPeerSpec(p.Name, p.PublicKey.ToBase64(), [$"{p.Address}/{(p.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}"], p.Keepalive, null, p.PresharedKey is not null)).ToList());
        return new HostState(name, "server", conn, [new DesiredFile(path, "0600", "root:root", content)], commands, [], [], wg);
    }

    /// <summary>The idempotent apply script; exposed for tests that run it for real.</summary>
    public static string ApplyScript(string iface, string path, string contentTemplate)
    {
        var wgQuickOnly = string.Join('|', WgQuickKeys.WgQuickOnly);
        // The live interface is brought to the file, not only the file to the desired state: a peer added by hand with
        // `wg set`, a listen port changed live, an address removed: drift names them, and running this again repairs them.
        // What wg syncconf applies (key, port, peers) is compared before and after as a hash of `wg show dump`'s
        // stable fields (no key leaves the host, handshakes and counters are left out).
        var live = $"wg show {iface} dump | awk -F '\\t' 'NR==1 {{print $2, $3, $4; next}} {{print $1, $2, $4, $8}}' | sha256sum";
        return "set -eu\numask 077\nchanged=0\n"
            + $"# Interface-level wg-quick keys before the change: if they differ afterwards, wg syncconf cannot apply them.\n"
            + $"old_iface=$(grep -E '^({wgQuickOnly}) ' {Sh.Quote(path)} 2>/dev/null || true)\n"
            + Sh.WriteFile(path, "0600", "root:root", contentTemplate)
            + $"new_iface=$(grep -E '^({wgQuickOnly}) ' {Sh.Quote(path)} || true)\n"
            + $"systemctl enable wg-quick@{iface} >/dev/null\n"
            + "# Every Address of the file must be on the live interface (wg-quick sets them; syncconf does not).\n"
            + "address_missing=0\n"
            + $"if ip link show {iface} >/dev/null 2>&1; then\n"
            + $"  for a in $(sed -n 's/^Address *= *//p' {Sh.Quote(path)} | tr ',' ' '); do\n"
            + $"    ip -o addr show dev {iface} | grep -qF \" $a \" || address_missing=1\n"
            + "  done\n"
            + "fi\n"
            + $"if ! ip link show {iface} >/dev/null 2>&1; then\n"
            + $"  wg-quick up {iface}\n"
            + "  echo \"started " + iface + "\"\n"
            + "elif { [ \"$changed\" = 1 ] && [ \"$old_iface\" != \"$new_iface\" ]; } || [ \"$address_missing\" = 1 ]; then\n"
            + $"  wg-quick down {iface}\n  wg-quick up {iface}\n"
            + "  echo \"restarted " + iface + " (interface settings changed)\"\n"
            + "else\n"
            + "  # Peers, keys, port: syncconf applies the difference without dropping live sessions, and is a no-op when\n"
            + "  # the live interface already matches; so it runs every time, whether or not the file changed.\n"
            + $"  live_before=$({live})\n"
            + "  stripped=$(mktemp)\n"
            + "  # The stripped config holds the private key: removed however the script ends (set -e exits on a failed syncconf).\n"
            + "  trap 'rm -f \"$stripped\"' EXIT\n"
            + $"  wg-quick strip {iface} > \"$stripped\"\n"
            + $"  wg syncconf {iface} \"$stripped\"\n"
            + "  rm -f \"$stripped\"\n"
            + "  if [ \"$changed\" = 1 ]; then\n"
            + "    echo \"reloaded " + iface + " (wg syncconf)\"\n"
            + $"  elif [ \"$live_before\" != \"$({live})\" ]; then\n"
            + "    echo \"repaired " + iface + " live (wg syncconf): it differed from the file\"\n"
            + "  else\n"
            + "    echo \"unchanged\"\n"
            + "  fi\n"
            + "fi\n";
    }
}
