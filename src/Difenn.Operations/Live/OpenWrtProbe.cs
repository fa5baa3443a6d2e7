using Difenn.Topology.Desired;
using Difenn.WireGuard.OpenWrt;

namespace Difenn.Operations.Live;

/// <summary>An OpenWrt peer as it is: its uci network config (keys hidden there) and its live interface.</summary>
/// <param name="Sections">The <c>network</c> package's sections.</param>
/// <param name="UciPublicKey">The public key of the interface's uci <c>private_key</c>, derived on the router, or null.</param>
/// <param name="Interface">The live interface.</param>
/// <param name="Watchdog">The failover watchdog as installed: program and init script md5 (empty when absent),
/// whether procd runs services here (<c>/etc/rc.common</c>), and whether its pid is alive.</param>
public sealed record LiveOpenWrt(IReadOnlyList<UciSection> Sections, string? UciPublicKey, LiveInterface Interface, LiveWatchdog? Watchdog = null);

/// <summary>The failover watchdog as installed on the router.</summary>
/// <param name="ProgramMd5">md5 of <see cref="OpenWrtWatchdog.ProgramPath"/>, empty when absent.</param>
/// <param name="InitScriptMd5">md5 of <see cref="OpenWrtWatchdog.InitScriptPath"/>, empty when absent.</param>
/// <param name="Procd">Whether the router runs procd services (OpenWrt's /etc/rc.common exists).</param>
/// <param name="Running">Whether the pid in <see cref="OpenWrtWatchdog.PidPath"/> is alive.</param>
public sealed record LiveWatchdog(string ProgramMd5, string InitScriptMd5, bool Procd, bool Running);

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
        + ScriptSections.Begin("watchdog")
        + $"echo program=$(md5sum {OpenWrtWatchdog.ProgramPath} 2>/dev/null | cut -d' ' -f1)\n"
        + $"echo init=$(md5sum {OpenWrtWatchdog.InitScriptPath} 2>/dev/null | cut -d' ' -f1)\n"
        + "if [ -f /etc/rc.common ]; then echo procd=1; else echo procd=0; fi\n"
        + $"if [ -f {OpenWrtWatchdog.PidPath} ] && kill -0 \"$(cat {OpenWrtWatchdog.PidPath})\" 2>/dev/null; then echo running=1; else echo running=0; fi\n"
        + WireGuardProbe.Script(iface);

    /// <summary>Parses the probe's output.</summary>
    public static LiveOpenWrt Parse(string output)
    {
        var s = ScriptSections.Parse(output);
        var derived = s.GetValueOrDefault("uci-public-key", "").Trim();
        var wd = s.GetValueOrDefault("watchdog", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1].Trim());
        var watchdog = wd.Count == 0 ? null : new LiveWatchdog(wd.GetValueOrDefault("program", ""), wd.GetValueOrDefault("init", ""), wd.GetValueOrDefault("procd") == "1", wd.GetValueOrDefault("running") == "1");
        return new LiveOpenWrt(UciExportParser.Parse(s.GetValueOrDefault("uci", "")), derived.Length == 44 ? derived : null, WireGuardProbe.Parse(s), watchdog);
    }
}
