using Difenn.Testing.OpenWrt;
using Difenn.Testing.Processes;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Tests.Scripts;

/// <summary>
/// Runs the XE300's rendered scripts for real, as the router would: under busybox sh (OpenWrt's ash) with OpenWrt's
/// own uci, inside a private mount namespace whose /etc is an overlay and whose /tmp/.uci (uci's shared staging
/// directory) is the test's own (the machine's /etc and /tmp are never written). netifd (its init script and ifup) is
/// a FAKE here that only records the calls, and `wg` a FAKE that reports a handshake and records setconf; the lab runs
/// the real wg and a fake netifd that applies the config to a real interface as netifd does.
/// </summary>
public sealed class OpenWrtRouter : IDisposable
{
    public const string InitialNetwork = OpenWrtTools.InitialNetwork;

    public OpenWrtRouter()
    {
        Root = Directory.CreateTempSubdirectory("dfn-owrt-").FullName;
        foreach (var d in new[] { "upper/config", "upper/init.d", "work", "bin", "uci-staging" }) Directory.CreateDirectory(Path.Combine(Root, d));
        Directory.CreateDirectory("/tmp/.uci"); // bind-mount target only: the staging the test sees is Root/uci-staging
        File.WriteAllText(Path.Combine(Root, "upper/config/network"), InitialNetwork);
        File.WriteAllText(Path.Combine(Root, "upper/init.d/network"), "#!/bin/sh\n# FAKE netifd init script: records the call.\necho \"$*\" >> /etc/.fake-netifd.log\n");
        File.SetUnixFileMode(Path.Combine(Root, "upper/init.d/network"), (UnixFileMode)0b111_101_101);
        WriteBin("ifup", "#!/bin/sh\n# FAKE ifup: records the call.\necho \"ifup $*\" >> /etc/.fake-netifd.log\n");
        OpenWrtTools.InstallInto(Path.Combine(Root, "bin"));
        // One mount namespace for the router's whole life, as a real router has one /etc: every script enters it (a
        // FIFO the apply script leaves for a later command is only the same pipe within one overlay mount).
        var mount = $"mount -t overlay overlay -o lowerdir=/etc,upperdir={Root}/upper,workdir={Root}/work /etc && mount --bind {Root}/uci-staging /tmp/.uci";
        _namespace = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", "-c", $"{mount} && echo ready && exec sleep infinity"])
            { RedirectStandardOutput = true })!;
        if (_namespace.StandardOutput.ReadLine() != "ready") throw new InvalidOperationException("could not set up the router's mount namespace");
    }

    private readonly System.Diagnostics.Process _namespace;

    public string Root { get; }

    public string Network => File.ReadAllText(Path.Combine(Root, "upper/config/network"));

    /// <summary>The backup the rollback timer would restore.</summary>
    public string Backup => File.ReadAllText(Path.Combine(Root, "upper/difenn/network.before"));

    /// <summary>uci's shared staging of <c>network</c> (other tools' pending changes), empty when none.</summary>
    public string Staged => File.Exists(Path.Combine(Root, "uci-staging/network")) ? File.ReadAllText(Path.Combine(Root, "uci-staging/network")) : "";

    /// <summary>Every change of the live interface, in order: <c>reload</c>, <c>ifup IFACE</c>, <c>wg setconf IFACE</c>.</summary>
    public string[] LiveChanges => File.Exists(Path.Combine(Root, "upper/.fake-netifd.log")) ? File.ReadAllLines(Path.Combine(Root, "upper/.fake-netifd.log")) : [];

    /// <summary>What the last <c>wg setconf</c> was given, without its private key line.</summary>
    public string LastSetconf => File.ReadAllText(Path.Combine(Root, "upper/.fake-wg-setconf"));

    /// <summary>
    /// A FAKE `wg` reporting a handshake <paramref name="secondsAgo"/> ago for the router's interface (which thus
    /// exists); <c>wg setconf</c> is recorded (the config it was given kept without its private key line).
    /// </summary>
    public void FakeHandshake(int secondsAgo) =>
        WriteBin("wg", $$"""
            #!/bin/sh
            # FAKE wg: one peer, latest handshake {{secondsAgo}}s ago; setconf recorded.
            case "$1" in
              setconf) grep -v '^PrivateKey' "$3" > /etc/.fake-wg-setconf; echo "wg setconf $2" >> /etc/.fake-netifd.log ;;
              *) echo "peer	$(( $(date +%s) - {{secondsAgo}} ))" ;;
            esac

            """);

    public void WriteBin(string name, string content)
    {
        File.WriteAllText(Path.Combine(Root, "bin", name), content);
        File.SetUnixFileMode(Path.Combine(Root, "bin", name), (UnixFileMode)0b111_101_101);
    }

    /// <summary>Runs <paramref name="script"/> as the router would (busybox sh, /etc overlaid); returns its last output line.</summary>
    public async Task<string> RunAsync(string script, bool waitForBackground = false)
    {
        var r = await TryRunAsync(script, waitForBackground);
        Assert.True(r.ExitCode == 0, $"script failed ({r.ExitCode}):\n{r.StdOut}\n{r.StdErr}");
        return r.StdOut.Trim().Split('\n')[^1];
    }

    /// <summary>Runs <paramref name="script"/> like <see cref="RunAsync"/>, whatever its exit code.</summary>
    public Task<ProcessResult> TryRunAsync(string script, bool waitForBackground = false)
    {
        return ProcessRunner.RunAsync("nsenter", ["-t", _namespace.Id.ToString(), "-m", $"{Root}/bin/sh", "-s"], stdin: script,
            timeout: TimeSpan.FromSeconds(waitForBackground ? 90 : 30),
            environment: new Dictionary<string, string> { ["PATH"] = $"{Root}/bin:/usr/sbin:/usr/bin:/sbin:/bin" });
    }

    /// <summary>Waits (up to 10 s) until the live interface was changed <paramref name="count"/> times: the script switches in the background.</summary>
    public async Task WaitForLiveChangesAsync(int count, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (LiveChanges.Length < count && DateTime.UtcNow < deadline) await Task.Delay(100);
    }

    public void Dispose()
    {
        _namespace.Kill();
        _namespace.Dispose();
        Directory.Delete(Root, recursive: true);
    }

    public static (string Script, string Key) Xe300Script(int rollbackSeconds = 30, string? key = null, string? serverPublicKey = null)
    {
        var state = Xe300State(rollbackSeconds, serverPublicKey);
        key ??= WireGuardPrivateKey.Generate().RevealBase64();
        return (state.Host("xe300").Commands.Single().Create.Reveal(new DictionarySecretSource(new Dictionary<string, string> { ["xe300PrivateKey"] = key })), key);
    }

    public static string Xe300DeleteScript() => Xe300State(30).Host("xe300").Commands.Single().Delete!.Reveal(new DictionarySecretSource(new Dictionary<string, string>()));

    /// <summary>The server public key of stacks/prod.yaml.</summary>
    public const string ProdServerPublicKey = "2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=";

    private static DesiredState Xe300State(int rollbackSeconds, string? serverPublicKey = null)
    {
        var yaml = StackFiles.ProdWith("rollbackSeconds: 120", $"rollbackSeconds: {rollbackSeconds}").Replace(ProdServerPublicKey, serverPublicKey ?? ProdServerPublicKey);
        return DesiredStateBuilder.Build(StackLoader.LoadFromString(yaml, "t.yaml").Stack!);
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

        Assert.Equal("applied; switching in 2s (sooner when told); rollback armed for 30s", await router.RunAsync(script));
        await router.WaitForLiveChangesAsync(1);
        var network = router.Network;
        Assert.Contains("config interface 'wg_difenn'", network);
        Assert.Contains($"option private_key '{key}'", network);
        Assert.Contains("list addresses '10.200.0.2/24'", network);
        Assert.Contains("config wireguard_wg_difenn 'wg_difenn_server'", network);
        Assert.Contains("option endpoint_host 'wg.trevarn.com'", network);
        Assert.Contains("option persistent_keepalive '25'", network);
        Assert.Contains("list allowed_ips '10.200.0.0/24'", network);
        Assert.StartsWith(OpenWrtRouter.InitialNetwork.TrimEnd(), network); // lan untouched
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges); // a new interface: netifd brings it up, peers included

        Assert.Equal("unchanged", await router.RunAsync(script));
        Assert.Equal(network, router.Network);
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges); // no second switch
    }

    /// <summary>
    /// A new server key is a peer-section change, which netifd's reload ignores (it compares interface sections only):
    /// the script sets WireGuard's settings on the live interface itself, from the committed config, without a restart.
    /// The script before only ran `network reload`: on a real router the new key never went live.
    /// </summary>
    [Fact]
    public async Task Apply_ServerKeyChanged_GoesLiveWithWgSetconfWithoutRestart()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var key = WireGuardPrivateKey.Generate().RevealBase64();
        Assert.StartsWith("applied", await router.RunAsync(OpenWrtRouter.Xe300Script(key: key).Script));
        await router.WaitForLiveChangesAsync(1);
        var newServer = WireGuardPrivateKey.Generate().PublicKey.ToBase64();

        Assert.StartsWith("applied", await router.RunAsync(OpenWrtRouter.Xe300Script(key: key, serverPublicKey: newServer).Script));
        await router.WaitForLiveChangesAsync(2);

        Assert.Equal(["ifup wg_difenn", "wg setconf wg_difenn"], router.LiveChanges);
        Assert.Equal($"[Interface]\n[Peer]\nPublicKey = {newServer}\nEndpoint = wg.trevarn.com:51820\nPersistentKeepalive = 25\nAllowedIPs = 10.200.0.0/24\n", router.LastSetconf);
        Assert.Contains($"option public_key '{newServer}'", router.Network);
    }

    /// <summary>Told (a rotation tells it right before the server changes), the router switches when told; not before.</summary>
    [Fact]
    public async Task Apply_WithSwitchWait_SwitchesWhenToldNotBefore()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, _) = OpenWrtRouter.Xe300Script();
        Assert.Equal("applied; switching in 20s (sooner when told); rollback armed for 30s",
            await router.RunAsync($"{OpenWrtRenderer.SwitchWaitVariable}=20\n" + script));
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(router.LiveChanges); // past the default 2 s: still waiting

        var told = DateTime.UtcNow;
        Assert.Equal("told", await router.RunAsync(OpenWrtRenderer.SwitchCommand(1) + "\n"));
        await router.WaitForLiveChangesAsync(1, seconds: 4);
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges);
        Assert.True(DateTime.UtcNow - told >= TimeSpan.FromSeconds(1), "switched before the second it was given");
        Assert.Equal("told", await router.RunAsync(OpenWrtRenderer.SwitchCommand(0) + "\n")); // nothing pending: harmless
        await Task.Delay(500);
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges);
    }

    /// <summary>
    /// A second change while the first still waits to go live: the first switch is cancelled and the second goes live
    /// once, as a restart (the first change, never live, may have needed one); the first never switches afterwards.
    /// </summary>
    [Fact]
    public async Task Apply_AgainWhileFirstSwitchWaits_FirstCancelledOneRestartWithTheLatest()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var key = WireGuardPrivateKey.Generate().RevealBase64();
        Assert.StartsWith("applied; switching in 8s", await router.RunAsync($"{OpenWrtRenderer.SwitchWaitVariable}=8\n" + OpenWrtRouter.Xe300Script(key: key).Script));
        var newServer = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
        Assert.StartsWith("applied; switching in 2s", await router.RunAsync(OpenWrtRouter.Xe300Script(key: key, serverPublicKey: newServer).Script));

        await router.WaitForLiveChangesAsync(1);
        await Task.Delay(TimeSpan.FromSeconds(8)); // past the first one's wait
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges);
        Assert.Contains($"option public_key '{newServer}'", router.Network);
    }

    [Fact]
    public async Task Apply_NoHandshakeAfterChange_RollsBackByItself()
    {
        using var router = new OpenWrtRouter();
        router.WriteBin("wg", "#!/bin/sh\n# FAKE wg: the new config never handshakes.\nexit 1\n");
        var (script, _) = OpenWrtRouter.Xe300Script(rollbackSeconds: 30);
        Assert.Equal("applied; switching in 2s (sooner when told); rollback armed for 30s", await router.RunAsync(script));
        Assert.Contains("wg_difenn", router.Network);
        // The rollback job outlives the ssh session; wait for it.
        await router.WaitForLiveChangesAsync(2, seconds: 60);
        Assert.Equal(["ifup wg_difenn", "ifup wg_difenn"], router.LiveChanges); // the rollback restarts it with the old peers
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network);
    }

}

/// <summary>The apply script's six bugs found with OpenWrt's real uci, each reproduced (each fails on the script before the fix).</summary>
public class OpenWrtApplyBugTests
{
    private static string StageBatchAsCutOffRun(string script)
    {
        // What the old script left in uci's shared staging when cut off between its batch and its commit.
        var batch = script[(script.IndexOf("<<'DIFENN_UCI'\n", StringComparison.Ordinal) + 15)..script.IndexOf("DIFENN_UCI\n)", StringComparison.Ordinal)];
        return "uci -q batch <<'EOF'\n" + batch.Replace(OpenWrtRenderer.PrivatePackage + ".", "network.") + "EOF\necho staged\n";
    }

    [Fact]
    public async Task Apply_OwnChangesStagedByCutOffRun_AppliesAndCommits()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, key) = OpenWrtRouter.Xe300Script();
        Assert.Equal("staged", await router.RunAsync(StageBatchAsCutOffRun(script)));
        Assert.Contains("wg_difenn", router.Staged);

        Assert.Equal("applied; switching in 2s (sooner when told); rollback armed for 30s", await router.RunAsync(script));
        Assert.Contains($"option private_key '{key}'", router.Network);
        Assert.DoesNotContain("wg_difenn", router.Staged); // our stale staged lines are gone: no one else's commit brings them back
    }

    [Fact]
    public async Task Apply_OthersPendingChange_NeitherCommittedNorReverted()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, _) = OpenWrtRouter.Xe300Script();
        await router.RunAsync("uci set network.lan.ipaddr='192.168.9.1'\necho ok\n");
        var staged = router.Staged;
        Assert.Contains("192.168.9.1", staged);

        Assert.Equal("applied; switching in 2s (sooner when told); rollback armed for 30s", await router.RunAsync(script)); // the change path
        Assert.Contains("option ipaddr '192.168.8.1'", router.Network);
        Assert.DoesNotContain("192.168.9.1", router.Network);
        Assert.Equal(staged, router.Staged);
        Assert.Equal("network.lan.ipaddr='192.168.9.1'", await router.RunAsync("uci changes network\n"));

        Assert.Equal("unchanged", await router.RunAsync(script)); // the no-change path
        Assert.Equal(staged, router.Staged);
        Assert.DoesNotContain("192.168.9.1", router.Network);
    }

    [Fact]
    public async Task Apply_TwiceWithinRollbackWindowNoHandshake_BackupStaysLastConfigWithHandshake()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1000);
        var (first, _) = OpenWrtRouter.Xe300Script(rollbackSeconds: 60);
        var (second, secondKey) = OpenWrtRouter.Xe300Script(rollbackSeconds: 60);
        Assert.StartsWith("applied", await router.RunAsync(first));
        Assert.StartsWith("applied", await router.RunAsync(second));
        Assert.Contains(secondKey, router.Network);
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Backup); // not the first, never-verified change
    }

    [Fact]
    public async Task Apply_TwiceWithHandshakeAfterFirst_BackupIsFirstChange()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1000);
        var (first, firstKey) = OpenWrtRouter.Xe300Script(rollbackSeconds: 60);
        var (second, _) = OpenWrtRouter.Xe300Script(rollbackSeconds: 60);
        Assert.StartsWith("applied", await router.RunAsync(first));
        await Task.Delay(TimeSpan.FromSeconds(3.5)); // past the first change's reload
        router.FakeHandshake(secondsAgo: 0); // the first change handshook: it is the good config now
        Assert.StartsWith("applied", await router.RunAsync(second));
        Assert.Contains(firstKey, router.Backup);
    }

    [Fact]
    public async Task Apply_BatchLineFails_NothingCommittedExit1()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var pkg = OpenWrtRenderer.PrivatePackage;
        // uci batch exits 0 after a failed line; the script must notice and leave the config as it was.
        var script = OpenWrtRenderer.ApplyScript("wg_difenn", 30, ["wg_difenn"],
            $"set {pkg}.wg_difenn=interface\nset {pkg}.wg_difenn.bad-name='x'\nset {pkg}.wg_difenn.proto='wireguard'\n",
            $"{pkg}.wg_difenn=interface\n{pkg}.wg_difenn.proto='wireguard'\n");
        var r = await router.TryRunAsync(script);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("uci batch failed, nothing changed", r.StdErr);
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network);
        Assert.Empty(router.LiveChanges);

        // A batch that runs cleanly but gives other sections than desired is refused the same way.
        var wrong = OpenWrtRenderer.ApplyScript("wg_difenn", 30, ["wg_difenn"], $"set {pkg}.wg_difenn=interface\n",
            $"{pkg}.wg_difenn=interface\n{pkg}.wg_difenn.proto='wireguard'\n");
        r = await router.TryRunAsync(wrong);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("did not give the desired sections", r.StdErr);
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network);
    }

    [Fact]
    public async Task Apply_SectionAddedAfterOurs_UnchangedNoReload()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, _) = OpenWrtRouter.Xe300Script();
        Assert.StartsWith("applied", await router.RunAsync(script));
        await router.WaitForLiveChangesAsync(1);
        await router.RunAsync("uci set network.guest=interface\nuci set network.guest.proto='static'\nuci commit network\necho ok\n");
        var network = router.Network;
        Assert.True(network.IndexOf("'guest'", StringComparison.Ordinal) > network.IndexOf("'wg_difenn_server'", StringComparison.Ordinal));

        Assert.Equal("unchanged", await router.RunAsync(script));
        Assert.Equal(network, router.Network); // no reorder
        await Task.Delay(2500);
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges);
    }

    [Fact]
    public async Task Delete_AfterApply_RemovesOnlyOurSectionsKeepsOthersStaged()
    {
        using var router = new OpenWrtRouter();
        router.FakeHandshake(secondsAgo: 1);
        var (script, _) = OpenWrtRouter.Xe300Script();
        Assert.StartsWith("applied", await router.RunAsync(script));
        await router.WaitForLiveChangesAsync(1);
        await router.RunAsync("uci set network.lan.ipaddr='192.168.9.1'\necho ok\n");
        var staged = router.Staged;

        Assert.Equal("deleted", await router.RunAsync(OpenWrtRouter.Xe300DeleteScript()));
        Assert.Equal(OpenWrtRouter.InitialNetwork, router.Network);
        Assert.Equal(staged, router.Staged);
        Assert.Equal(["ifup wg_difenn", "reload"], router.LiveChanges); // netifd takes down an interface gone from the config
        Assert.Equal("absent", await router.RunAsync(OpenWrtRouter.Xe300DeleteScript()));
        Assert.Equal(["ifup wg_difenn", "reload"], router.LiveChanges);
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
        Assert.Equal("applied; switching in 2s (sooner when told); rollback armed for 30s", await router.RunAsync(script));
        await Task.Delay(TimeSpan.FromSeconds(34));
        Assert.Equal(["ifup wg_difenn"], router.LiveChanges);
        Assert.Contains("wg_difenn", router.Network);
    }
}
