using Difenn.Topology.Desired;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.Operations.Live;

/// <summary>An OpenWrt peer as it is: its uci network config (keys hidden there) and its live interface.</summary>
/// <param name="Sections">The <c>network</c> package's sections.</param>
/// <param name="UciPublicKey">The public key of the interface's uci <c>private_key</c>, derived on the router, or null.</param>
/// <param name="Interface">The live interface.</param>
public sealed record LiveOpenWrt(IReadOnlyList<UciSection> Sections, string? UciPublicKey, LiveInterface Interface);

/// <summary>Reads an OpenWrt router (uci + wg) in one script, through whatever hops its connection has.</summary>
public static class OpenWrtProbe
{
    /// <summary>The probe script for uci interface <paramref name="iface"/>.</summary>
    public static string Script(string iface) =>
        "export LC_ALL=C\n"
        + ScriptSections.Begin("uci")
        + "uci export network 2>/dev/null | sed -e \"s/^\\([[:space:]]*option private_key \\).*/\\1'(hidden)'/\" -e \"s/^\\([[:space:]]*option preshared_key \\).*/\\1'(hidden)'/\"\n"
        + ScriptSections.Begin("uci-public-key")
        + $"uci -q get {Sh.Quote("network." + iface + ".private_key")} | wg pubkey 2>/dev/null\n"
        + WireGuardProbe.Script(iface);

    /// <summary>Parses the probe's output.</summary>
    public static LiveOpenWrt Parse(string output)
    {
        var s = ScriptSections.Parse(output);
        var derived = s.GetValueOrDefault("uci-public-key", "").Trim();
        return new LiveOpenWrt(UciExportParser.Parse(s.GetValueOrDefault("uci", "")), derived.Length == 44 ? derived : null, WireGuardProbe.Parse(s));
    }
}
