using Difenn.Testing.Network;
using Difenn.Testing.Processes;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Dump;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Tests.Scripts;

/// <summary>
/// Runs CT2914's rendered apply script for real: in a network namespace, with wg-quick bringing up a wireguard-go
/// interface, inside a private mount namespace whose /etc/wireguard and /run/wireguard are temp directories, so the
/// test machine's own /etc is never touched. `systemctl` is a FAKE (no systemd here) that records its arguments.
/// </summary>
public sealed class ServerScriptNamespaceTests : IAsyncLifetime
{
    private NetworkNamespace _ns = null!;
    private string _root = null!;
    private readonly WireGuardPrivateKey _serverKey = WireGuardPrivateKey.Generate();

    public async Task InitializeAsync()
    {
        _ns = await NetworkNamespace.CreateAsync("srv");
        _root = Directory.CreateTempSubdirectory("dfn-ct-").FullName;
        foreach (var d in new[] { "etc", "run", "bin" }) Directory.CreateDirectory(Path.Combine(_root, d));
        var fake = Path.Combine(_root, "bin", "systemctl");
        File.WriteAllText(fake, $"#!/bin/sh\n# FAKE systemctl for tests: records the call, changes nothing.\necho \"$*\" >> {_root}/systemctl.log\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory("/run/wireguard"); // bind-mount target only; its contents stay untouched
    }

    public async Task DisposeAsync()
    {
        await _ns.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private static string StackYaml(string extraPeers = "", string address = "10.200.0.1/24") =>
        StackFiles.ProdWith("address: 10.200.0.1/24", $"address: {address}") + extraPeers;

    private async Task<ProcessResult> RunAsync(string yaml, string? tmpDir = null)
    {
        var load = StackLoader.LoadFromString(yaml, "t.yaml");
        Assert.True(load.Success, string.Join("\n", load.Diagnostics));
        var command = DesiredStateBuilder.Build(load.Stack!).Host("ct2914").Commands.Single();
        var script = command.Create.Reveal(new DictionarySecretSource(new Dictionary<string, string> { ["serverPrivateKey"] = _serverKey.RevealBase64() }));
        var wrapper = $"mount --bind {_root}/etc /etc/wireguard && mount --bind {_root}/run /run/wireguard && exec sh -s";
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = $"{_root}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["WG_QUICK_USERSPACE_IMPLEMENTATION"] = "wireguard-go",
            ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1",
        };
        if (tmpDir is not null) environment["TMPDIR"] = tmpDir;
        return await _ns.RunAsync("unshare", ["--mount", "sh", "-c", wrapper], stdin: script, timeout: TimeSpan.FromSeconds(30), environment: environment);
    }

    private async Task<string> ApplyAsync(string yaml)
    {
        var result = await RunAsync(yaml);
        Assert.True(result.ExitCode == 0, $"script failed ({result.ExitCode}):\n{result.StdOut}\n{result.StdErr}");
        Assert.DoesNotContain(_serverKey.RevealBase64(), result.StdOut + result.StdErr);
        return result.StdOut.Trim().Split('\n')[^1];
    }

    private async Task<WgDump> DumpAsync()
    {
        var r = await _ns.RunAsync("unshare", ["--mount", "sh", "-c", $"mount --bind {_root}/run /run/wireguard && wg show wg0 dump"]);
        return WgDumpParser.Parse(r.EnsureSuccess("wg show wg0 dump").StdOut);
    }

    private async Task<string> IfIndexAsync() => (await _ns.ExecAsync("cat", "/sys/class/net/wg0/ifindex")).Trim();

    [Fact]
    public async Task Apply_FreshThenTwiceThenPeerAddedThenAddressChanged_ConvergesWithoutNeedlessRestarts()
    {
        // 1. Fresh host: writes wg0.conf 0600, brings wg0 up with wg-quick, enables the unit.
        Assert.Equal("started wg0", await ApplyAsync(StackYaml()));
        var conf = Path.Combine(_root, "etc", "wg0.conf");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(conf));
        var dump = await DumpAsync();
        Assert.Equal(_serverKey, dump.Interface.PrivateKey);
        Assert.Equal(51820, dump.Interface.ListenPort);
        var xe = Assert.Single(dump.Peers);
        Assert.Equal("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", xe.PublicKey.ToBase64());
        Assert.Equal(25, xe.PersistentKeepalive);
        Assert.Contains("10.200.0.1/24", await _ns.ExecAsync("ip", "-o", "addr", "show", "wg0"));
        Assert.Contains("enable wg-quick@wg0", File.ReadAllText(Path.Combine(_root, "systemctl.log")));
        var ifindex = await IfIndexAsync();
        var written = File.GetLastWriteTimeUtc(conf);

        // 2. Same stack again: nothing changes.
        Assert.Equal("unchanged", await ApplyAsync(StackYaml()));
        Assert.Equal(written, File.GetLastWriteTimeUtc(conf));
        Assert.Equal(ifindex, await IfIndexAsync());

        // 3. A peer added: live reload with wg syncconf, the interface (and its sessions) stays.
        var phone = WireGuardPrivateKey.Generate().PublicKey;
        var withPhone = $"  - name: phone\n    publicKey: {phone}\n    keepalive: 25\n    endpoint:\n      host: wg.trevarn.com\n";
        Assert.Equal("reloaded wg0 (wg syncconf)", await ApplyAsync(StackYaml(withPhone)));
        Assert.Equal(ifindex, await IfIndexAsync());
        dump = await DumpAsync();
        Assert.Equal(2, dump.Peers.Count);
        Assert.Equal("10.200.0.3/32", dump.Peers.Single(p => p.PublicKey == phone).AllowedIPs.Single().ToString());

        // 4. The interface address changes: syncconf cannot apply it, so wg-quick restarts the interface.
        Assert.Equal("restarted wg0 (interface settings changed)", await ApplyAsync(StackYaml(withPhone, "10.200.0.1/23")));
        Assert.Contains("10.200.0.1/23", await _ns.ExecAsync("ip", "-o", "addr", "show", "wg0"));
    }

    [Fact]
    public async Task Apply_SyncconfFails_FailsAndLeavesNoStrippedConfigWithTheKeyBehind()
    {
        Assert.Equal("started wg0", await ApplyAsync(StackYaml()));
        // Fault injection, not a stand-in: a wrapper that makes the real `wg syncconf` fail and passes every other call on.
        var wg = Path.Combine(_root, "bin", "wg");
        File.WriteAllText(wg, "#!/bin/sh\nif [ \"$1\" = syncconf ]; then echo 'injected failure' >&2; exit 1; fi\nexec /usr/bin/wg \"$@\"\n");
        File.SetUnixFileMode(wg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var tmp = Path.Combine(_root, "tmp");
        Directory.CreateDirectory(tmp);

        var result = await RunAsync(StackYaml(), tmp);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("injected failure", result.StdErr);
        Assert.Empty(Directory.GetFileSystemEntries(tmp)); // the stripped config (with the private key) is gone
        Assert.DoesNotContain(_serverKey.RevealBase64(), result.StdOut + result.StdErr);
    }
}
