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
        return "set -eu\numask 077\nchanged=0\n"
            + $"# Interface-level wg-quick keys before the change: if they differ afterwards, wg syncconf cannot apply them.\n"
            + $"old_iface=$(grep -E '^({wgQuickOnly}) ' {Sh.Quote(path)} 2>/dev/null || true)\n"
            + Sh.WriteFile(path, "0600", "root:root", contentTemplate)
            + $"new_iface=$(grep -E '^({wgQuickOnly}) ' {Sh.Quote(path)} || true)\n"
            + $"systemctl enable wg-quick@{iface} >/dev/null\n"
            + $"if ! ip link show {iface} >/dev/null 2>&1; then\n"
            + $"  wg-quick up {iface}\n"
            + "  echo \"started " + iface + "\"\n"
            + "elif [ \"$changed\" = 1 ] && [ \"$old_iface\" != \"$new_iface\" ]; then\n"
            + $"  wg-quick down {iface}\n  wg-quick up {iface}\n"
            + "  echo \"restarted " + iface + " (interface settings changed)\"\n"
            + "elif [ \"$changed\" = 1 ]; then\n"
            + "  # Peers or keys only: syncconf applies the difference without dropping live sessions.\n"
            + "  stripped=$(mktemp)\n"
            + "  # The stripped config holds the private key: removed however the script ends (set -e exits on a failed syncconf).\n"
            + "  trap 'rm -f \"$stripped\"' EXIT\n"
            + $"  wg-quick strip {iface} > \"$stripped\"\n"
            + $"  wg syncconf {iface} \"$stripped\"\n"
            + "  rm -f \"$stripped\"\n"
            + "  echo \"reloaded " + iface + " (wg syncconf)\"\n"
            + "else\n"
            + "  echo \"unchanged\"\n"
            + "fi\n";
    }
}
