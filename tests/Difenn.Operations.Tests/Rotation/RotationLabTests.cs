using Difenn.Operations.Drift;
using Difenn.Operations.Rotation;
using Difenn.Testing.Lab;
using Difenn.WireGuard.Keys;
using Xunit.Abstractions;

namespace Difenn.Operations.Tests.Rotation;

/// <summary>
/// Key rotation for real in the namespace lab: the router (reachable only through the tunnel, through the relay)
/// changes first under its rollback timer, the server through px3, then the handshake is confirmed.
/// </summary>
public sealed class RotationLabTests(ITestOutputHelper output) : DeployedLabTest
{
    private readonly List<string> _log = [];

    protected override async Task BeforeDisposeAsync(TopologyLab lab)
    {
        foreach (var line in _log) output.WriteLine(line);
        output.WriteLine(await lab.DiagnosticsAsync());
    }

    private async Task<RotationReport> RotateAsync(RotationPlan plan)
    {
        await using var shell = Lab.Shell();
        var rotation = new KeyRotation(shell, Lab.Secrets, new DirectorySecretStore(Lab.SecretsDir), new SyncProgress(_log));
        return await rotation.RunAsync(plan, Lab.StackPath);
    }

    private async Task<string> ContainerAsync(string script) => (await Lab.ContainerAsync(script)).EnsureSuccess(script).StdOut.Trim();

    private Dictionary<string, string> RouterPath => new() { ["PATH"] = $"{Lab.RouterDir}/bin:/usr/sbin:/usr/bin:/sbin:/bin" };

    private async Task<string> RouterUciAsync(string option) =>
        (await Lab.Router.ConsoleAsync($"uci get network.{option}\n", environment: RouterPath)).EnsureSuccess("uci get").StdOut.Trim();

    [Fact]
    public async Task Rotate_ServerKey_TunnelBackOnNewKeyOldKeyRefusedEverythingInSync()
    {
        var oldPublic = Lab.ServerKey.PublicKey.ToBase64();
        var plan = RotationPlan.Create(Lab.Stack(), RotationTarget.ServerKey, null);

        var report = await RotateAsync(plan);

        Assert.True(report.Succeeded, string.Join("\n", _log));
        Assert.All(report.Hosts, h => Assert.True(h.OnNewConfig));
        // The new key is kept (0600), the stack names the new public key, nothing is pending.
        var stored = WireGuardPrivateKey.Parse(File.ReadAllText(Path.Combine(Lab.SecretsDir, "serverPrivateKey")).Trim());
        Assert.Equal(report.NewPublicKey, stored.PublicKey.ToBase64());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Lab.SecretsDir, "serverPrivateKey")));
        Assert.False(File.Exists(Path.Combine(Lab.SecretsDir, "serverPrivateKey.pending")));
        var stack = File.ReadAllText(Lab.StackPath);
        Assert.Contains($"publicKey: {report.NewPublicKey}", stack);
        Assert.Contains($"previousPublicKeys: [{oldPublic}]", stack); // still let through the relay's MAC1 gate, nothing more
        Assert.Equal(1, stack.Split(oldPublic).Length - 1);
        // Live: the server runs the new key, the router expects it, and the tunnel carries traffic.
        Assert.Equal(report.NewPublicKey, await ContainerAsync("wg show wg0 public-key"));
        Assert.Equal(report.NewPublicKey, await RouterUciAsync("wg_difenn_server.public_key"));
        Assert.Contains("1 received", await ContainerAsync("ping -c 1 -W 3 10.200.0.2"));
        // The relay restarted with the new key kept the router's session (its state file, on the compose volume).
        var relayLogs = string.Join("\n", Directory.GetFiles(Lab.HubDir, "difenn_relay_*.log").Select(File.ReadAllText));
        Assert.Matches(@"restored [1-9]\d* sessions", relayLogs);
        var stateFiles = Directory.GetFiles(Path.Combine(Lab.HubDir, "volumes", "difenn-relay_state"), "sessions-*");
        Assert.NotEmpty(stateFiles);
        Assert.All(stateFiles, f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
        // No key was ever logged.
        Assert.DoesNotContain(stored.RevealBase64(), string.Join("\n", _log));
        Assert.DoesNotContain(Lab.ServerKey.RevealBase64(), string.Join("\n", _log));

        // The old key no longer handshakes: a client that still expects it gets nowhere (its initiations pass the relay's
        // MAC1 gate, which still knows the old public key, but the server no longer holds the old private key).
        var keyFile = Path.Combine(Lab.RouterDir, "probe.key");
        File.WriteAllText(keyFile, Lab.RouterKey.RevealBase64());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        (await Lab.Router.ConsoleAsync($"set -e\nwireguard-go wgold\nwg set wgold private-key {keyFile} listen-port 40001 peer {oldPublic} endpoint 10.9.1.1:443 allowed-ips 10.201.0.1/32 persistent-keepalive 1\nip link set wgold up\n",
            environment: new Dictionary<string, string> { ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1" })).EnsureSuccess("old-key client");
        await Task.Delay(TimeSpan.FromSeconds(7)); // one initiation a second for 7 s (persistent keepalive 1)
        var handshakes = (await Lab.Router.ConsoleAsync("wg show wgold latest-handshakes")).EnsureSuccess("wg show wgold").StdOut;
        Assert.EndsWith("\t0", handshakes.Trim());

        // And drift finds the hosts exactly as the edited stack and the stored secrets say.
        await using var shell = Lab.Shell();
        var drift = await new DriftDetector(shell).CheckAsync(Lab.Stack(), Lab.Desired());
        Assert.True(drift.ExitCode == 0, string.Join("\n", drift.Items.Where(i => i.Verdict != DriftVerdict.InSync).Select(i => $"{i.Host} {i.Item}: {i.Desired} / {i.Live}")));
    }

    [Fact]
    public async Task Rotate_PeerKeyServerStepFails_RouterBackOnOldConfigByItsTimerNothingChanged()
    {
        var oldRouterPublic = Lab.RouterKey.PublicKey.ToBase64();
        var stackBefore = File.ReadAllText(Lab.StackPath);
        File.WriteAllText(Path.Combine(Lab.Px3Dir, "ct-etc-readonly"), ""); // the server step will fail: /etc/wireguard read-only
        var plan = RotationPlan.Create(Lab.Stack(), RotationTarget.PeerKey, "xe300");

        var report = await RotateAsync(plan);

        Assert.False(report.Succeeded);
        var router = Assert.Single(report.Hosts, h => h.Host == "xe300");
        Assert.False(router.OnNewConfig);
        Assert.Contains("back on its previous config", router.State);
        var server = Assert.Single(report.Hosts, h => h.Host == "ct2914");
        Assert.False(server.OnNewConfig);
        Assert.Contains("Read-only file system", server.State);
        // Nothing changed: secrets, stack file, the router's live key; the tunnel works on the old keys.
        Assert.Equal(Lab.RouterKey.RevealBase64(), File.ReadAllText(Path.Combine(Lab.SecretsDir, "xe300PrivateKey")).Trim());
        Assert.False(File.Exists(Path.Combine(Lab.SecretsDir, "xe300PrivateKey.pending")));
        Assert.Equal(stackBefore, File.ReadAllText(Lab.StackPath));
        Assert.Equal(oldRouterPublic, (await Lab.Router.ConsoleAsync("wg show wg_difenn public-key")).EnsureSuccess("wg show").StdOut.Trim());
        Assert.Equal(oldRouterPublic, (await Lab.Router.ConsoleAsync("uci get network.wg_difenn.private_key | wg pubkey", environment: RouterPath)).EnsureSuccess("uci").StdOut.Trim());
        File.Delete(Path.Combine(Lab.Px3Dir, "ct-etc-readonly"));
        Assert.Contains("1 received", await ContainerAsync("ping -c 1 -W 3 10.200.0.2"));
    }

    [Fact]
    public async Task Rotate_PresharedKeyAddedWhereThereWasNone_BothEndsUseItDriftClean()
    {
        var yaml = File.ReadAllText(Lab.StackPath);
        File.WriteAllText(Lab.StackPath, yaml.Replace("      privateKey: xe300PrivateKey\n", "      privateKey: xe300PrivateKey\n      presharedKey: xe300PresharedKey\n"));
        var plan = RotationPlan.Create(Lab.Stack(), RotationTarget.PresharedKey, "xe300");

        var report = await RotateAsync(plan);

        Assert.True(report.Succeeded, string.Join("\n", _log));
        var psk = File.ReadAllText(Path.Combine(Lab.SecretsDir, "xe300PresharedKey")).Trim();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Lab.SecretsDir, "xe300PresharedKey")));
        Assert.Equal($"{Lab.RouterKey.PublicKey.ToBase64()}\t{psk}", await ContainerAsync("wg show wg0 preshared-keys"));
        Assert.Equal(psk, await RouterUciAsync("wg_difenn_server.preshared_key"));
        Assert.DoesNotContain(psk, string.Join("\n", _log));
        Assert.Contains("1 received", await ContainerAsync("ping -c 1 -W 3 10.200.0.2"));

        await using var shell = Lab.Shell();
        var drift = await new DriftDetector(shell).CheckAsync(Lab.Stack(), Lab.Desired());
        Assert.True(drift.ExitCode == 0, string.Join("\n", drift.Items.Where(i => i.Verdict != DriftVerdict.InSync).Select(i => $"{i.Host} {i.Item}: {i.Desired} / {i.Live}")));
        Assert.Contains(drift.Items, i => i is { Host: "ct2914", Item: "wg0 peer xe300 preshared key", Live: "set" });
    }

    private sealed class SyncProgress(List<string> log) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (log) log.Add(value);
        }
    }
}
