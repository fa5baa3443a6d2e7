using Difenn.Topology.Desired;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Dump;

namespace Difenn.Operations.Drift;

/// <summary>A peer as found live (in <c>wg show</c> or in a config file), in the terms the desired state uses.</summary>
/// <param name="PublicKey">Base64 public key.</param>
/// <param name="AllowedIPs">Allowed IPs, canonical CIDR text.</param>
/// <param name="Keepalive">Keepalive seconds (0 = off).</param>
/// <param name="HasPresharedKey">Whether it has a preshared key (null: unknown from this source).</param>
public sealed record LivePeer(string PublicKey, IReadOnlyList<string> AllowedIPs, int Keepalive, bool? HasPresharedKey);

/// <summary>Compares peers by public key: missing, unexpected, and each peer's allowed IPs, keepalive and preshared key.</summary>
public static class PeerDrift
{
    /// <summary>The peers of a dump.</summary>
    public static IReadOnlyList<LivePeer> FromDump(WgDump dump, IReadOnlySet<string> withPsk) =>
        dump.Peers.Select(p => new LivePeer(p.PublicKey.ToBase64(), p.AllowedIPs.Select(a => a.ToString()).ToList(), p.PersistentKeepalive ?? 0,
            withPsk.Contains(p.PublicKey.ToBase64()))).ToList();

    /// <summary>The peers of a config file (preshared keys are not read from files).</summary>
    public static IReadOnlyList<LivePeer> FromConfig(WgQuickConfig config) =>
        config.Peers.Select(p => new LivePeer(p.PublicKey.ToBase64(), p.AllowedIPs.Select(a => a.ToString()).ToList(), p.PersistentKeepalive ?? 0, null)).ToList();

    /// <summary>Adds the peer items under <paramref name="where"/> (an interface or a file).</summary>
    public static void Compare(DriftItems d, string where, IReadOnlyList<WireGuardPeerSpec> desired, IReadOnlyList<LivePeer> live, bool includePresharedKey)
    {
        foreach (var want in desired)
        {
            var have = live.FirstOrDefault(p => p.PublicKey == want.PublicKey);
            var label = $"{where} peer {want.Name}";
            if (!d.Present($"{label} ({Short(want.PublicKey)})", have is not null, "present", "present")) continue;
            d.Compare($"{label} allowed IPs", string.Join(", ", want.AllowedIPs.Order()), string.Join(", ", have!.AllowedIPs.Order()));
            d.Compare($"{label} keepalive", Keepalive(want.Keepalive), Keepalive(have.Keepalive));
            if (includePresharedKey && have.HasPresharedKey is bool psk)
                d.Compare($"{label} preshared key", want.HasPresharedKey ? "set" : "none", psk ? "set" : "none");
        }
        foreach (var extra in live.Where(p => desired.All(w => w.PublicKey != p.PublicKey)))
            d.Add($"{where} peer {Short(extra.PublicKey)}", "absent", $"{extra.PublicKey} allowed {string.Join(", ", extra.AllowedIPs)}", DriftVerdict.Unexpected);
    }

    private static string Keepalive(int seconds) => seconds == 0 ? "off" : $"{seconds}s";

    /// <summary>The first 8 characters of a key, enough to tell keys apart in a table.</summary>
    public static string Short(string publicKey) => publicKey.Length > 8 ? publicKey[..8] + "…" : publicKey;
}
