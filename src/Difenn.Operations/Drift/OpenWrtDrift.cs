using Difenn.Operations.Live;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Drift;

/// <summary>Compares an OpenWrt peer (the XE300) with its desired state: uci values and the live interface.</summary>
public static class OpenWrtDrift
{
    /// <summary>The items for <paramref name="host"/> given what <see cref="OpenWrtProbe"/> read.</summary>
    public static IReadOnlyList<DriftItem> Compare(HostState host, LiveOpenWrt live)
    {
        var wg = host.WireGuard!;
        var server = wg.Peers.Single();
        var d = new DriftItems(host.Name);
        var iface = live.Sections.FirstOrDefault(s => s.Type == "interface" && s.Name == wg.Name);
        var ui = $"uci network.{wg.Name}";
        if (d.Present(ui, iface is not null, "interface", "interface"))
        {
            d.Compare($"{ui}.proto", "wireguard", iface!.Option("proto") ?? "(unset)");
            d.Compare($"{ui}.addresses", wg.Address, string.Join(", ", iface.List("addresses")));
            d.Compare($"{ui}.private_key (its public key)", wg.PublicKey, live.UciPublicKey ?? "(no valid private_key)");
        }
        var sectionName = $"{wg.Name}_server";
        var peer = live.Sections.FirstOrDefault(s => s.Type == $"wireguard_{wg.Name}" && s.Name == sectionName);
        var up = $"uci network.{sectionName}";
        if (d.Present(up, peer is not null, $"wireguard_{wg.Name}", $"wireguard_{wg.Name}"))
        {
            var (host_, port) = SplitEndpoint(server.Endpoint!);
            d.Compare($"{up}.public_key", server.PublicKey, peer!.Option("public_key") ?? "(unset)");
            d.Compare($"{up}.endpoint_host", host_, peer.Option("endpoint_host") ?? "(unset)");
            d.Compare($"{up}.endpoint_port", port, peer.Option("endpoint_port") ?? "(unset)");
            d.Compare($"{up}.persistent_keepalive", server.Keepalive.ToString(), peer.Option("persistent_keepalive") ?? "(unset)");
            d.Compare($"{up}.allowed_ips", string.Join(", ", server.AllowedIPs.Order()), string.Join(", ", peer.List("allowed_ips").Order()));
            d.Compare($"{up}.preshared_key", server.HasPresharedKey ? "set" : "none", peer.Option("preshared_key") is null ? "none" : "set");
        }
        if (d.Present($"{wg.Name} interface", live.Interface.Exists, "up", "up"))
        {
            var dump = live.Interface.Dump!;
            d.Compare($"{wg.Name} public key (of the live private key)", wg.PublicKey, dump.Interface.PublicKey?.ToBase64() ?? "(no private key)");
            PeerDrift.Compare(d, wg.Name, [server], PeerDrift.FromDump(dump, live.Interface.PeersWithPresharedKey), includePresharedKey: true);
        }
        CompareWatchdog(d, host, live.Watchdog);
        return d.Items;
    }

    /// <summary>
    /// The failover watchdog: program and init script as the apply script installs them (missing or stale), and,
    /// where procd runs services (a real OpenWrt), that it runs. Without procd (the lab) nothing starts it by itself.
    /// </summary>
    private static void CompareWatchdog(DriftItems d, HostState host, LiveWatchdog? live)
    {
        var program = OpenWrtWatchdog.ProgramIn(host.Commands.Single().Create.Template);
        if (program is null || live is null) return;
        static string State(string desiredMd5, string liveMd5) => liveMd5.Length == 0 ? "(missing)" : liveMd5 == desiredMd5 ? "installed" : $"stale (md5 {liveMd5})";
        d.Compare($"watchdog {OpenWrtWatchdog.ProgramPath}", "installed", State(OpenWrtWatchdog.Md5(program), live.ProgramMd5));
        d.Compare($"watchdog {OpenWrtWatchdog.InitScriptPath}", "installed", State(OpenWrtWatchdog.Md5(OpenWrtWatchdog.InitScript), live.InitScriptMd5));
        if (live.Procd) d.Compare("watchdog running", "running", live.Running ? "running" : "stopped");
    }

    private static (string Host, string Port) SplitEndpoint(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon].Trim('[', ']'), endpoint[(colon + 1)..]);
    }
}
