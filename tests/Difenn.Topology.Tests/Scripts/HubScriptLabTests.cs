using Difenn.Operations.Remote;
using Difenn.Testing.Lab;
using Difenn.Topology.Secrets;

namespace Difenn.Topology.Tests.Scripts;

/// <summary>
/// hub2's rendered scripts for real, over SSH, in the namespace lab: real ufw (other services' rules present), the
/// FAKE docker engine running the real relay binary. Applied twice they change nothing; deleted, they remove only
/// what this project added.
/// </summary>
public sealed class HubScriptLabTests : DeployedLabTest
{
    private async Task<string> RunAsync(SecretText script)
    {
        var hub = Lab.Desired().Host("hub2");
        await using var shell = Lab.Shell();
        return (await shell.RunAsync("hub2", hub.Connection, script.Reveal(new DictionarySecretSource(new Dictionary<string, string>())))).EnsureSuccess("hub2", "script").StdOut;
    }

    private async Task<string> ConsoleAsync(string script) => (await Lab.Hub.ConsoleAsync(script)).EnsureSuccess(script).StdOut;

    /// <summary>The relay processes in hub2's network namespace (other labs may run relays at the same time).</summary>
    private async Task<string> RelayPidsAsync()
    {
        var pids = (await Difenn.Testing.Processes.ProcessRunner.OutputAsync("ip", "netns", "pids", Lab.HubNs.Name)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join(",", pids.Where(p => File.Exists($"/proc/{p}/cmdline") && File.ReadAllText($"/proc/{p}/cmdline").Replace('\0', ' ').Contains("difenn-relay --listen")).Order());
    }

    [Fact]
    public async Task FirewallAndRelay_AppliedAgainUnchangedDeletedOnlyOurs()
    {
        var hub = Lab.Desired().Host("hub2");
        var firewall = hub.Commands.Single(c => c.Name == "hub2-firewall");
        var relay = hub.Commands.Single(c => c.Name == "hub2-relay");
        var rulesBefore = await ConsoleAsync("ufw show added");
        var state = File.ReadAllText(Path.Combine(Lab.HubDir, "docker-state.json"));
        var relayPids = await RelayPidsAsync();
        Assert.Equal(2, relayPids.Split(',').Length);
        // The migration removed the runbook's socat containers and nothing else of the shared project.
        Assert.DoesNotContain("charliehub_difenn_relay", state);
        Assert.Contains("charliehub_traefik", state);

        Assert.Contains("Skipping adding existing rule", await RunAsync(firewall.Create));
        await RunAsync(relay.Create);
        Assert.Equal(rulesBefore, await ConsoleAsync("ufw show added"));
        Assert.Equal(relayPids, await RelayPidsAsync()); // not recreated

        await RunAsync(relay.Delete!);
        await RunAsync(firewall.Delete!);
        var rulesAfter = await ConsoleAsync("ufw show added");
        Assert.Contains("ufw allow 22/tcp comment 'SSH (not ours)'", rulesAfter);
        Assert.DoesNotContain("51820/udp", rulesAfter);
        Assert.DoesNotContain("443/udp", rulesAfter);
        Assert.Equal("", await RelayPidsAsync());
        Assert.False(File.Exists(Path.Combine(Lab.HubDir, "opt", "difenn-relay", "compose.yaml")));
        Assert.Contains("charliehub_traefik", File.ReadAllText(Path.Combine(Lab.HubDir, "docker-state.json")));
    }
}
