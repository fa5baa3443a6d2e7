namespace Difenn.Testing.OpenWrt;

/// <summary>
/// The router's real tools for tests: OpenWrt's own <c>uci</c> (built from its source, kept beside the repository in
/// <c>../shared/tools/openwrt-uci/uci</c>, or wherever <c>DIFENN_UCI</c> points) and Debian's <c>busybox</c>, whose
/// <c>sh</c> is the ash OpenWrt runs. No imitation: a test fails with a clear message when either is missing.
/// </summary>
public static class OpenWrtTools
{
    /// <summary>
    /// A realistic OpenWrt 23.05 <c>/etc/config/network</c> of an LTE router (GL.iNet XE300): loopback, globals, an
    /// unnamed <c>config device</c> (br-lan), lan, wan, wan6 and the LTE interface <c>wwan</c> (proto qmi). Written
    /// exactly as <c>uci commit</c> writes it, so a file uci rewrote can be compared with it.
    /// </summary>
    public const string InitialNetwork = """

        config interface 'loopback'
        	option device 'lo'
        	option proto 'static'
        	option ipaddr '127.0.0.1'
        	option netmask '255.0.0.0'

        config globals 'globals'
        	option ula_prefix 'fd3c:5e2a:91b0::/48'

        config device
        	option name 'br-lan'
        	option type 'bridge'
        	list ports 'eth1'

        config interface 'lan'
        	option device 'br-lan'
        	option proto 'static'
        	option ipaddr '192.168.8.1'
        	option netmask '255.255.255.0'
        	option ip6assign '60'

        config interface 'wan'
        	option device 'eth0'
        	option proto 'dhcp'

        config interface 'wan6'
        	option device 'eth0'
        	option proto 'dhcpv6'

        config interface 'wwan'
        	option proto 'qmi'
        	option device '/dev/cdc-wdm0'
        	option apn 'internet'
        	option pdptype 'ipv4'
        	option auth 'none'
        	option metric '20'


        """;

    /// <summary>OpenWrt's <c>uci</c>: <c>DIFENN_UCI</c>, else <c>&lt;repo&gt;/../shared/tools/openwrt-uci/uci</c>.</summary>
    public static string Uci
    {
        get
        {
            var fromEnv = Environment.GetEnvironmentVariable("DIFENN_UCI");
            var path = !string.IsNullOrEmpty(fromEnv) ? fromEnv
                : Path.GetFullPath(Path.Combine(RepoFiles.Root, "..", "shared", "tools", "openwrt-uci", "uci"));
            return File.Exists(path) ? path
                : throw new InvalidOperationException($"OpenWrt's uci not found at {path}: put the shared tools beside the repository (../shared/tools/openwrt-uci/uci) or set DIFENN_UCI");
        }
    }

    /// <summary>Debian's busybox (apt package <c>busybox</c>, installed by .ci/install).</summary>
    public static string Busybox =>
        new[] { "/usr/bin/busybox", "/bin/busybox" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("busybox not found: apt-get install busybox (see .ci/install)");

    /// <summary>
    /// Puts the router's tools first on a PATH directory: <c>uci</c>, and busybox as <c>sh</c> plus the applets the
    /// router's scripts call (as on OpenWrt, where they are all busybox). <c>ip</c> and <c>wg</c> stay the machine's.
    /// </summary>
    public static void InstallInto(string binDir)
    {
        Directory.CreateDirectory(binDir);
        Link(Path.Combine(binDir, "uci"), Uci);
        foreach (var applet in new[] { "sh", "ash", "awk", "sed", "grep", "cat", "cp", "mv", "rm", "mkdir", "mktemp", "chmod", "touch",
                     "date", "sleep", "kill", "head", "tail", "cut", "tr", "cmp", "logger", "nslookup", "md5sum" })
            Link(Path.Combine(binDir, applet), Busybox);
    }

    private static void Link(string path, string target)
    {
        if (File.Exists(path) || Directory.Exists(path)) File.Delete(path);
        File.CreateSymbolicLink(path, target);
    }
}
