using Difenn.Testing.OpenWrt;
using Difenn.Testing.Processes;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Tests.Scripts;

/// <summary>
/// The contract of the lab's FAKE netifd (tests/Difenn.Testing/Fakes/netifd), checked on a real wireguard-go interface
/// with OpenWrt's real uci, against netifd's documented behaviour for proto 'wireguard': `network reload` ignores peer
/// sections (openwrt/luci#8984: "peer add/remove ... not applied to running wg0 without interface restart";
/// openwrt/openwrt#2625: "If we change a peer section, then the interface of netifd gets not reloaded") but restarts an
/// interface whose section changed (openwrt/openwrt#1778), and `ifup` (reload, then down and up) applies the peers.
/// A fake kinder than netifd hid that the router's script never put a new server key live.
/// </summary>
public sealed class FakeNetifdTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dfn-netifd-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Reload_IgnoresPeerSections_RestartsChangedInterfaceSection_IfupAppliesPeers()
    {
        foreach (var d in new[] { "upper/config", "upper/init.d", "work", "bin", "uci", "run" }) Directory.CreateDirectory(Path.Combine(_root, d));
        Directory.CreateDirectory("/tmp/.uci"); // bind-mount target only
        Directory.CreateDirectory("/run/wireguard"); // bind-mount target only
        var fake = Path.Combine(AppContext.BaseDirectory, "Fakes", "netifd");
        File.Copy(fake, Path.Combine(_root, "upper/init.d/network"));
        File.Copy(fake, Path.Combine(_root, "bin/ifup"));
        OpenWrtTools.InstallInto(Path.Combine(_root, "bin"));
        var key = WireGuardPrivateKey.Generate();
        var (peer1, peer2) = (WireGuardPrivateKey.Generate().PublicKey.ToBase64(), WireGuardPrivateKey.Generate().PublicKey.ToBase64());
        File.WriteAllText(Path.Combine(_root, "upper/config/network"), $"""

            config interface 'wg_t'
            	option proto 'wireguard'
            	option private_key '{key.RevealBase64()}'
            	list addresses '10.77.0.2/24'

            config wireguard_wg_t 'wg_t_server'
            	option public_key '{peer1}'
            	option endpoint_host '127.0.0.1'
            	option persistent_keepalive '25'
            	list allowed_ips '10.77.0.1/32'

            """);
        File.SetUnixFileMode(Path.Combine(_root, "upper/config/network"), UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var script = $$"""
            set -e
            mount -t overlay overlay -o lowerdir=/etc,upperdir={{_root}}/upper,workdir={{_root}}/work /etc
            mount --bind {{_root}}/uci /tmp/.uci
            mount --bind {{_root}}/run /run/wireguard
            ip link set lo up
            wireguard-go wg_t
            show() { echo "$1: peers=$(wg show wg_t peers | tr '\n' ' ')endpoint=$(wg show wg_t endpoints | cut -f2) addr=$(ip -4 -o addr show dev wg_t | awk '{print $4}')"; }
            /etc/init.d/network reload; show first-load
            uci set network.wg_t_server.public_key='{{peer2}}'; uci set network.wg_t_server.endpoint_port='443'; uci commit network
            /etc/init.d/network reload; show peer-changed-reload
            ifup wg_t; show peer-changed-ifup
            uci set network.wg_t.addresses='10.77.0.3/24'; uci commit network
            /etc/init.d/network reload; show interface-changed-reload
            ifup nosuch && echo "ifup nosuch: ok" || echo "ifup nosuch: failed"
            ip link del wg_t
            cat /etc/.fake-netifd.log
            """;
        var r = await ProcessRunner.RunAsync("unshare", ["--net", "--mount", "--propagation", "private", "sh", "-s"], script, TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["PATH"] = $"{_root}/bin:/usr/sbin:/usr/bin:/sbin:/bin", ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1" });
        Assert.True(r.ExitCode == 0, $"{r.StdOut}\n{r.StdErr}");
        var lines = r.StdOut.Split('\n');
        string Line(string label) => lines.Single(l => l.StartsWith(label + ":", StringComparison.Ordinal));

        Assert.Equal($"first-load: peers={peer1} endpoint=127.0.0.1:51820 addr=10.77.0.2/24", Line("first-load"));
        // A peer section changed: a reload leaves the live interface as it was.
        Assert.Equal($"peer-changed-reload: peers={peer1} endpoint=127.0.0.1:51820 addr=10.77.0.2/24", Line("peer-changed-reload"));
        // ifup restarts it with every peer section.
        Assert.Equal($"peer-changed-ifup: peers={peer2} endpoint=127.0.0.1:443 addr=10.77.0.2/24", Line("peer-changed-ifup"));
        // The interface section changed: a reload restarts it.
        Assert.Equal($"interface-changed-reload: peers={peer2} endpoint=127.0.0.1:443 addr=10.77.0.3/24", Line("interface-changed-reload"));
        Assert.Equal("ifup nosuch: failed", Line("ifup nosuch"));
        Assert.Equal(["reload", "reload", "ifup wg_t", "reload", "ifup nosuch"], lines.SkipWhile(l => l != "reload").TakeWhile(l => l.Length > 0).ToArray());
        // What it remembers holds no key.
        Assert.DoesNotContain(key.RevealBase64(), File.ReadAllText(Path.Combine(_root, "upper/.fake-netifd.state")));
    }
}
