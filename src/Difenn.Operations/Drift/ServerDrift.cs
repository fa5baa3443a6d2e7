using Difenn.Operations.Live;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Drift;

/// <summary>Compares the WireGuard server (CT2914) with its desired state: live interface, config file, service.</summary>
public static class ServerDrift
{
    /// <summary>The items for <paramref name="host"/> given what <see cref="ServerProbe"/> read.</summary>
    public static IReadOnlyList<DriftItem> Compare(HostState host, LiveServer live)
    {
        var wg = host.WireGuard!;
        var file = host.Files.Single(f => f.Path.EndsWith($"/{wg.Name}.conf", StringComparison.Ordinal));
        var d = new DriftItems(host.Name);

        if (d.Present($"{wg.Name} interface", live.Interface.Exists, "up", "up"))
        {
            var dump = live.Interface.Dump!;
            d.Compare($"{wg.Name} listen port", wg.ListenPort?.ToString() ?? "any", dump.Interface.ListenPort.ToString());
            d.Compare($"{wg.Name} public key (of the live private key)", wg.PublicKey, dump.Interface.PublicKey?.ToBase64() ?? "(no private key)");
            d.Compare($"{wg.Name} address", wg.Address, live.Interface.Addresses.Count == 0 ? "(none)" : string.Join(", ", live.Interface.Addresses));
            PeerDrift.Compare(d, wg.Name, wg.Peers, PeerDrift.FromDump(dump, live.Interface.PeersWithPresharedKey), includePresharedKey: true);
        }

        if (d.Present(file.Path, live.File is not null, "present", "present"))
        {
            var f = live.File!;
            d.Compare($"{file.Path} mode", file.Mode.TrimStart('0'), f.Mode);
            d.Compare($"{file.Path} owner", file.Owner, f.Owner);
            d.Compare($"{file.Path} public key (of its PrivateKey)", wg.PublicKey, f.DerivedPublicKey ?? "(no valid PrivateKey)");
            if (f.Config is null)
            {
                d.Add($"{file.Path} syntax", "valid", string.Join("; ", f.Problems), DriftVerdict.Drift);
            }
            else
            {
                d.Compare($"{file.Path} ListenPort", wg.ListenPort?.ToString() ?? "(none)", f.Config.Interface.ListenPort?.ToString() ?? "(none)");
                d.Compare($"{file.Path} Address", wg.Address, string.Join(", ", f.Config.Interface.Addresses));
                PeerDrift.Compare(d, file.Path, wg.Peers, PeerDrift.FromConfig(f.Config), includePresharedKey: false);
            }
        }
        d.Compare($"wg-quick@{wg.Name} service", "enabled", live.ServiceEnabled);
        return d.Items;
    }
}
