using System.Collections.Immutable;
using Difenn.Operations.Drift;
using Difenn.Testing.Lab;
using Xunit.Abstractions;

namespace Difenn.Infra.Tests.Rehearsal;

/// <summary>
/// `pulumi up` rehearsed against the namespace lab (real sshd with a stock AcceptEnv, ufw, wg, wireguard-go, the relay
/// binary; fakes for docker, pct, uci/netifd, systemctl): the program under Pulumi's mocks, every command and copy it
/// declares executed as pulumi-command 1.2.1 would (<see cref="ProviderRehearsal"/>). A rehearsal of the provider's
/// documented behaviour, not of the Pulumi engine.
/// </summary>
[Collection("pulumi")]
public sealed class DeployRehearsalTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TopologyLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = await TopologyLab.StartAsync();
        // No relay image on the hub: `pulumi up` must build it.
        await _lab.PrepareRunbookStateAsync(withRelayImage: false);
        await _lab.ConfigureRouterAtConsoleAsync();
    }

    public async Task DisposeAsync()
    {
        if (_lab is null) return;
        await _lab.DisposeAsync();
    }

    private string _relayBinary = TopologyLab.RelayBinary();

    private Task<ProgramRun> Program() => ProgramUnderTest.RunAsync(new Dictionary<string, string?>
    {
        ["difenn-infra:relayBinary"] = _relayBinary,
        ["difenn-infra:stack"] = "lab",
        ["difenn-infra:stackFile"] = _lab.StackPath,
        ["difenn-infra:knownHosts"] = _lab.KnownHostsPath,
        ["difenn-infra:sshConfig"] = _lab.SshConfigPath,
        ["difenn-infra:cloudflareZoneId"] = "lab-zone",
        ["difenn-infra:sshPrivateKey"] = File.ReadAllText(_lab.OperatorKey.PrivateKeyPath),
        ["difenn-infra:serverPrivateKey"] = _lab.ServerKey.RevealBase64(),
        ["difenn-infra:xe300PrivateKey"] = _lab.RouterKey.RevealBase64(),
    }, _lab.StackPath);

    private string DockerState() => File.ReadAllText(Path.Combine(_lab.HubDir, "docker-state.json"));

    private async Task<string> Ufw() => (await _lab.Hub.ConsoleAsync("ufw status")).EnsureSuccess("ufw status").StdOut;

    [Fact]
    public async Task Rehearsal_DeployThenNoOpThenKeepaliveChangeThenDestroy()
    {
        var rehearsal = new ProviderRehearsal();

        // 1. First deploy on fresh hosts (the runbook's state): everything created in dependency order, tunnel up.
        var deploy = await rehearsal.UpAsync(await Program());
        output.WriteLine("deploy: " + string.Join(", ", deploy));
        Assert.Equal(["create hub2-relay-binary", "create hub2-relay-dockerfile", "create hub2-relay-image", "create hub2-firewall", "create hub2-legacy-socat",
            "create hub2-relay", "create ct2914-wg0", "create xe300-wg_difenn"], deploy);
        await AssertTunnelAndNoDriftAsync();

        // 2. Same program again: no input differs, nothing is sent to any host.
        var docker = DockerState();
        var ufw = await Ufw();
        var noop = await rehearsal.UpAsync(await Program());
        output.WriteLine("no-op: " + string.Join(", ", noop));
        Assert.Empty(noop);
        Assert.Equal(docker, DockerState());
        Assert.Equal(ufw, await Ufw());

        // 3. Keepalive 25 → 20 in the stack: only the server's and the router's commands rerun; the relay untouched.
        File.WriteAllText(_lab.StackPath, File.ReadAllText(_lab.StackPath).Replace("keepalive: 25", "keepalive: 20"));
        var keepalive = await rehearsal.UpAsync(await Program());
        output.WriteLine("keepalive change: " + string.Join(", ", keepalive));
        Assert.Equal(["update ct2914-wg0", "update xe300-wg_difenn"], keepalive);
        Assert.Equal(docker, DockerState());
        Assert.Contains("\t20", (await _lab.ContainerAsync("wg show wg0 persistent-keepalive")).StdOut);

        // 4. A changed relay binary: copied, built under its new tag, and exactly the relay containers recreated.
        var relayPids = RelayPids();
        _relayBinary = Path.Combine(_lab.Root, "difenn-relay-changed");
        File.WriteAllBytes(_relayBinary, [.. File.ReadAllBytes(TopologyLab.RelayBinary()), 0]);
        File.SetUnixFileMode(_relayBinary, (UnixFileMode)0b111_101_101);
        var relayChange = await rehearsal.UpAsync(await Program());
        output.WriteLine("relay change: " + string.Join(", ", relayChange));
        Assert.Equal(["update hub2-relay-binary", "update hub2-relay-image", "update hub2-relay"], relayChange);
        var newPids = RelayPids();
        Assert.Equal(relayPids.Keys, newPids.Keys);
        Assert.All(relayPids, kv => Assert.NotEqual(kv.Value, newPids[kv.Key]));
        Assert.Contains("charliehub_traefik", DockerState());
        await AssertTunnelAndNoDriftAsync();

        // 5. Destroy: reverse order; another service's ufw rule and containers stay.
        var destroy = await rehearsal.DestroyAsync();
        output.WriteLine("destroy: " + string.Join(", ", destroy));
        Assert.Equal(["delete xe300-wg_difenn", "delete ct2914-wg0", "delete hub2-relay", "delete hub2-legacy-socat", "delete hub2-firewall",
            "delete hub2-relay-image", "delete hub2-relay-dockerfile", "delete hub2-relay-binary"], destroy);
        var after = await Ufw();
        Assert.Contains("22/tcp", after);
        Assert.DoesNotContain("51820/udp", after);
        Assert.DoesNotContain("443/udp", after);
        Assert.Contains("charliehub_traefik", DockerState());
        Assert.DoesNotContain("difenn_relay_", DockerState());
        // The current image is removed; the one the relay change replaced stays (an update deletes nothing: it is the rollback target).
        var current = Difenn.Infra.Components.RelayImage.Locate(_relayBinary).Tag("difenn-relay");
        var images = File.ReadAllText(Path.Combine(_lab.HubDir, "docker-images.json"));
        Assert.DoesNotContain(current, images);
        Assert.Contains(Difenn.Infra.Components.RelayImage.Locate(TopologyLab.RelayBinary()).Tag("difenn-relay"), images);
        Assert.False(File.Exists(Path.Combine(_lab.CtDir, "etc", "wg0.conf")));
    }

    private Dictionary<string, int> RelayPids() => System.Text.Json.JsonDocument.Parse(DockerState()).RootElement.EnumerateArray()
        .Where(c => c.GetProperty("Name").GetString()!.StartsWith("/difenn_relay_"))
        .ToDictionary(c => c.GetProperty("Name").GetString()!, c => c.GetProperty("State").GetProperty("Pid").GetInt32());

    /// <summary>Handshake, ping over the tunnel, and drift in sync as `difenn drift` sees it (the stack file as written:
    /// the content tag the program deployed is accepted for the stack's image repository).</summary>
    private async Task AssertTunnelAndNoDriftAsync()
    {
        Assert.True(await _lab.WaitForHandshakeAsync(TimeSpan.FromSeconds(30)), await _lab.DiagnosticsAsync());
        await using (var shell = _lab.Shell())
        {
            var drift = await new DriftDetector(shell).CheckAsync(_lab.Stack(), _lab.Desired());
            Assert.True(drift.ExitCode == 0, string.Join("\n", drift.Items.Where(i => i.Verdict != DriftVerdict.InSync).Select(i => $"{i.Host} {i.Item}: {i.Desired} / {i.Live}")));
        }
        (await _lab.RouterNs.RunAsync("ping", ["-c", "5", "-W", "5", "10.200.0.1"])).EnsureSuccess("ping over the tunnel");
    }

    [Fact]
    public async Task Rehearsal_HostKeyNotThePin_RefusedBeforeAnythingIsSent_AndARefusedEnvironmentFailsTheCommand()
    {
        var ufw = await Ufw();
        var pinned = _lab.Hub.HostKeyLine;
        var other = (await Difenn.Testing.Ssh.SshClientKey.GenerateAsync(Directory.CreateDirectory(Path.Combine(_lab.Root, "other")).FullName)).PublicKeyLine;
        var otherKey = string.Join(' ', other.Split(' ')[..2]);
        File.WriteAllText(_lab.StackPath, File.ReadAllText(_lab.StackPath).Replace(pinned, otherKey));

        var e = await Assert.ThrowsAsync<RehearsalStepFailed>(async () => await new ProviderRehearsal().UpAsync(await Program()));
        output.WriteLine(e.Message);
        Assert.Equal("create hub2-relay-binary", e.Step); // the first resource declared
        Assert.Contains("host key mismatch", e.Error);
        Assert.DoesNotContain("Accepted publickey", _lab.Hub.Log.ToString());
        Assert.Equal(ufw, await Ufw());

        // The pitfall fixed in the program: an environment entry stock sshd refuses (AcceptEnv LANG LC_*) fails the command.
        File.WriteAllText(_lab.StackPath, File.ReadAllText(_lab.StackPath).Replace(otherKey, pinned));
        var run = await Program();
        var firewall = run.Mocks.Resources.Single(r => r.Name == "hub2-firewall");
        var withEnv = firewall.Inputs.SetItem("environment", ImmutableDictionary<string, object>.Empty.Add("DIFENN_SCRIPT_SHA256", "0"));
        var refused = await Assert.ThrowsAsync<RehearsalStepFailed>(() => ProviderRehearsal.RunStepAsync("command:remote:Command", "create", withEnv, "hub2-firewall"));
        Assert.Contains("could not set environment variable \"DIFENN_SCRIPT_SHA256\"", refused.Error);
        Assert.Equal(ufw, await Ufw());
        var locale = firewall.Inputs.SetItem("environment", ImmutableDictionary<string, object>.Empty.Add("LANG", "C.UTF-8"));
        await ProviderRehearsal.RunStepAsync("command:remote:Command", "create", locale, "hub2-firewall");
        Assert.Contains("51820/udp", await Ufw());
    }
}
