using Difenn.Testing.Processes;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Tests.Scripts;

/// <summary>
/// Runs the XE300's rendered script for real with sh, inside a private mount namespace whose /etc is an overlay
/// (the machine's /etc is never written). OpenWrt's pieces that Debian lacks are FAKES on PATH: `uci` (a Python
/// implementation of the subset the script uses, whose contract is tested here too) and /etc/init.d/network
/// (records reloads, as netifd's reload would be asked).
/// </summary>
public sealed class OpenWrtRouter : IDisposable
{
    public const string InitialNetwork = "package network\n\nconfig interface 'lan'\n\toption proto 'static'\n\toption ipaddr '192.168.8.1'\n\n";

    public OpenWrtRouter()
    {
        Root = Directory.CreateTempSubdirectory("dfn-owrt-").FullName;
        foreach (var d in new[] { "upper/config", "upper/init.d", "work", "bin" }) Directory.CreateDirectory(Path.Combine(Root, d));
        File.WriteAllText(Path.Combine(Root, "upper/config/network"), InitialNetwork);
        File.WriteAllText(Path.Combine(Root, "upper/init.d/network"), "#!/bin/sh\n# FAKE netifd init script: records the call.\necho \"$*\" >> /etc/.fake-netifd.log\n");
        File.SetUnixFileMode(Path.Combine(Root, "upper/init.d/network"), (UnixFileMode)0b111_101_101);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fakes", "uci"), Path.Combine(Root, "bin", "uci"));
        File.SetUnixFileMode(Path.Combine(Root, "bin", "uci"), (UnixFileMode)0b111_101_101);
    }

    public string Root { get; }

    public string Network => File.ReadAllText(Path.Combine(Root, "upper/config/network"));

    public string[] Reloads => File.Exists(Path.Combine(Root, "upper/.fake-netifd.log")) ? File.ReadAllLines(Path.Combine(Root, "upper/.fake-netifd.log")) : [];

    /// <summary>A FAKE `wg` reporting a handshake <paramref name="secondsAgo"/> ago for the router's interface.</summary>
    public void FakeHandshake(int secondsAgo) =>
        WriteBin("wg", $"#!/bin/sh\n# FAKE wg: one peer, latest handshake {secondsAgo}s ago.\necho \"peer\t$(( $(date +%s) - {secondsAgo} ))\"\n");

    public void WriteBin(string name, string content)
    {
        File.WriteAllText(Path.Combine(Root, "bin", name), content);
        File.SetUnixFileMode(Path.Combine(Root, "bin", name), (UnixFileMode)0b111_101_101);
    }

    /// <summary>Runs <paramref name="script"/> as the router would (sh, /etc overlaid); returns its last output line.</summary>
    public async Task<string> RunAsync(string script, bool waitForBackground = false)
    {
        var mount = $"mount -t overlay overlay -o lowerdir=/etc,upperdir={Root}/upper,workdir={Root}/work /etc";
        var r = await ProcessRunner.RunAsync("unshare", ["--mount", "sh", "-c", $"{mount} && exec sh -s"], stdin: script,
            timeout: TimeSpan.FromSeconds(waitForBackground ? 90 : 30),
            environment: new Dictionary<string, string> { ["PATH"] = $"{Root}/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
        Assert.True(r.ExitCode == 0, $"script failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
        return r.StdOut.Trim().Split('\n')[^1];
    }

    /// <summary>Waits (up to 10 s) until netifd was asked to reload <paramref name="count"/> times: the script reloads in the background.</summary>
    public async Task WaitForReloadsAsync(int count, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (Reloads.Length < count && DateTime.UtcNow < deadline) await Task.Delay(100);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);

    public static (string Script, string Key) Xe300Script(int rollbackSeconds = 30)
    {
        var yaml = StackFiles.ProdWith("rollbackSeconds: 120", $"rollbackSeconds: {rollbackSeconds}");
        var state = DesiredStateBuilder.Build(StackLoader.LoadFromString(yaml, "t.yaml").Stack!);
        var key = WireGuardPrivateKey.Generate().RevealBase64();
        return (state.Host("xe300").Commands.Single().Create.Reveal(new DictionarySecretSource(new Dictionary<string, string> { ["xe300PrivateKey"] = key })), key);
    }
}

public class OpenWrtScriptTests
{
    [Fact]
    public async Task Apply_FreshThenAgain_ConfiguresOnceLeavesLanAlone()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, key) = OpenWrtRouter.Xe300Script();

        Assert.Equal("applied; reload in 2s; rollback armed for 30s", await router.RunAsync(script));
        await router.WaitForReloadsAsync(1);
        var network = router.Network;
        Assert.Contains("config interface 'wg_difenn'", network);
        Assert.Contains($"option private_key '{key}'", network);
        Assert.Contains("list addresses '10.200.0.2/24'", network);
        Assert.Contains("config wireguard_wg_difenn 'wg_difenn_server'", network);
        Assert.Contains("option endpoint_host 'wg.trevarn.com'", network);
        Assert.Contains("option persistent_keepalive '25'", network);
        Assert.Contains("list allowed_ips '10.200.0.0/24'", network);
        Assert.StartsWith(OpenWrtRouter.InitialNetwork.TrimEnd(), network); // lan untouched
        Assert.Equal(["reload"], router.Reloads);

        Assert.Equal("unchanged", await router.RunAsync(script));
        Assert.Equal(network, router.Network);
        Assert.Equal(["reload"], router.Reloads); // no second reload
    }

    [Fact]
    public async Task Apply_NoHandshakeAfterChange_RollsBackByItself()
    {
        using var router = new OpenWrtRouter();
        router.WriteBin("wg", "#!/bin/sh\n# FAKE wg: the new config never handshakes.\nexit 1\n");
        var (script, _) = OpenWrtRouter.Xe300Script(rollbackSeconds: 30);
        Assert.Equal("applied; reload in 2s; rollback armed for 30s", await router.RunAsync(script));
        Assert.Contains("wg_difenn", router.Network);
        // The rollback job outlives the ssh session; wait for it.
        await router.WaitForReloadsAsync(2, seconds: 60);
        Assert.Equal(["reload", "reload"], router.Reloads);
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network);
    }

    [Fact]
    public async Task FakeUci_Contract_MatchesUciSemantics()
    {
        using var router = new OpenWrtRouter();
        var last = await router.RunAsync("set -eu\nprintf \"set network.x=interface\\nset network.x.proto='static'\\nadd_list network.x.dns='1.1.1.1'\\nadd_list network.x.dns='9.9.9.9'\\n\" | uci batch\n[ -n \"$(uci changes network)\" ]\nuci export network | grep -q \"list dns '9.9.9.9'\"\nuci revert network\n[ -z \"$(uci changes network)\" ]\nuci export network | grep -qv \"config interface x\"\necho ok\n");
        Assert.Equal("ok", last);
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network); // reverted: nothing committed
    }
}

public class OpenWrtRollbackNotNeededTests
{
    [Fact]
    public async Task Apply_HandshakeRecent_NoRollback()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 2);
        var (script, _) = OpenWrtRouter.Xe300Script(rollbackSeconds: 30);
        Assert.Equal("applied; reload in 2s; rollback armed for 30s", await router.RunAsync(script));
        await Task.Delay(TimeSpan.FromSeconds(34));
        Assert.Equal(["reload"], router.Reloads);
        Assert.Contains("wg_difenn", router.Network);
    }
}
