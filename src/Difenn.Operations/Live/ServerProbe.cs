using Difenn.Topology.Desired;
using Difenn.WireGuard.Config;

namespace Difenn.Operations.Live;

/// <summary>The WireGuard server's host as it is: interface, config file, service.</summary>
/// <param name="Interface">The live interface.</param>
/// <param name="File">The config file, or null when it does not exist.</param>
/// <param name="ServiceEnabled">What <c>systemctl is-enabled wg-quick@IFACE</c> says (<c>enabled</c>, <c>disabled</c>, <c>unknown</c>...).</param>
public sealed record LiveServer(LiveInterface Interface, LiveConfigFile? File, string ServiceEnabled);

/// <summary>A wg-quick config file as it is on a host, secrets removed there.</summary>
/// <param name="Mode">Octal mode, e.g. <c>600</c>.</param>
/// <param name="Owner"><c>user:group</c>.</param>
/// <param name="DerivedPublicKey">The public key of the file's PrivateKey (derived on the host), or null.</param>
/// <param name="Config">The file parsed without its PrivateKey and PresharedKey lines, or null when it does not parse.</param>
/// <param name="Problems">Parse errors, if any.</param>
public sealed record LiveConfigFile(string Mode, string Owner, string? DerivedPublicKey, WgQuickConfig? Config, IReadOnlyList<string> Problems);

/// <summary>Reads the server (CT2914) in one script: <c>wg show</c>, the config file and the service.</summary>
public static class ServerProbe
{
    /// <summary>The probe script for <paramref name="iface"/> whose config is <paramref name="path"/>.</summary>
    public static string Script(string iface, string path)
    {
        var f = Sh.Quote(path);
        const string priv = "[Pp][Rr][Ii][Vv][Aa][Tt][Ee][Kk][Ee][Yy]";
        const string psk = "[Pp][Rr][Ee][Ss][Hh][Aa][Rr][Ee][Dd][Kk][Ee][Yy]";
        return "export LC_ALL=C\n"
            + WireGuardProbe.Script(iface)
            + ScriptSections.Begin("file")
            + $"if [ -f {f} ]; then stat -c '%a %U:%G' {f}; fi\n"
            + ScriptSections.Begin("file-public-key")
            + $"if [ -f {f} ]; then sed -n 's/^[[:space:]]*{priv}[[:space:]]*=[[:space:]]*\\([^[:space:]#]*\\).*/\\1/p' {f} | head -n 1 | wg pubkey 2>/dev/null; fi\n"
            + ScriptSections.Begin("file-content")
            + $"if [ -f {f} ]; then sed -e '/^[[:space:]]*{priv}[[:space:]]*=/d' -e '/^[[:space:]]*{psk}[[:space:]]*=/d' {f}; fi\n"
            + ScriptSections.Begin("enabled")
            + $"systemctl is-enabled {Sh.Quote("wg-quick@" + iface)} 2>/dev/null || echo unknown\n";
    }

    /// <summary>Parses the probe's output.</summary>
    public static LiveServer Parse(string output, string path)
    {
        var s = ScriptSections.Parse(output);
        LiveConfigFile? file = null;
        var stat = s.GetValueOrDefault("file", "").Trim().Split(' ');
        if (stat.Length == 2)
        {
            var parsed = WgQuickParser.ParseWithoutKeys(s.GetValueOrDefault("file-content", ""), path);
            var derived = s.GetValueOrDefault("file-public-key", "").Trim();
            file = new LiveConfigFile(stat[0], stat[1], derived.Length == 44 ? derived : null, parsed.Config,
                parsed.Diagnostics.Where(d => d.Severity == Difenn.WireGuard.Validation.DiagnosticSeverity.Error).Select(d => d.ToString()).ToList());
        }
        var enabled = s.GetValueOrDefault("enabled", "unknown").Trim();
        return new LiveServer(WireGuardProbe.Parse(s), file, enabled.Length == 0 ? "unknown" : enabled.Split('\n')[0]);
    }
}
