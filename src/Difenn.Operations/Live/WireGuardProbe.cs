using Difenn.Topology.Desired;
using Difenn.WireGuard.Dump;

namespace Difenn.Operations.Live;

/// <summary>A live WireGuard interface as <c>wg show</c> reports it, without any secret.</summary>
/// <param name="Exists">Whether the interface exists.</param>
/// <param name="Dump">The dump with the private and preshared keys blanked out on the host (the public key in its
/// first line is the one <c>wg</c> derives from the live private key), or null when the interface does not exist.</param>
/// <param name="PeersWithPresharedKey">Public keys (base64) of peers that have a preshared key.</param>
/// <param name="Addresses">The interface's global IP addresses in CIDR form (<c>ip addr</c>; link-local ones are the kernel's, not ours).</param>
public sealed record LiveInterface(bool Exists, WgDump? Dump, IReadOnlySet<string> PeersWithPresharedKey, IReadOnlyList<string> Addresses);

/// <summary>
/// Reads a WireGuard interface on a host. The keys never leave the host: the script replaces the private key and
/// every preshared key with <c>(none)</c> before printing, and reports only which peers have a preshared key.
/// </summary>
public static class WireGuardProbe
{
    /// <summary>The script fragment (sections <c>dump</c> and <c>psk</c>).</summary>
    public static string Script(string iface) =>
        ScriptSections.Begin("dump")
        + $"wg show {Sh.Quote(iface)} dump 2>/dev/null | awk -F'\\t' 'BEGIN{{OFS=\"\\t\"}} NR==1{{$1=\"(none)\"}} NR>1{{$2=\"(none)\"}} {{print}}'\n"
        + ScriptSections.Begin("psk")
        + $"wg show {Sh.Quote(iface)} preshared-keys 2>/dev/null | awk -F'\\t' '$2!=\"(none)\"{{print $1}}'\n"
        + ScriptSections.Begin("addr")
        + $"ip -o addr show dev {Sh.Quote(iface)} scope global 2>/dev/null | awk '{{print $4}}'\n";

    /// <summary>Reads the fragment's sections.</summary>
    public static LiveInterface Parse(IReadOnlyDictionary<string, string> sections)
    {
        var dump = sections.GetValueOrDefault("dump", "").Trim();
        var psk = sections.GetValueOrDefault("psk", "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
        var addresses = sections.GetValueOrDefault("addr", "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return dump.Length == 0 ? new LiveInterface(false, null, psk, addresses) : new LiveInterface(true, WgDumpParser.Parse(dump), psk, addresses);
    }
}
