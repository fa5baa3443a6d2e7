using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Lab;
using Difenn.WireGuard.Keys;
using Xunit.Abstractions;

namespace Difenn.Cli.Tests.Operations;

/// <summary>
/// The documented way back after a hand change, <c>difenn drift --repair</c>, against the namespace lab: hand changes
/// that `pulumi up` would leave in place (its commands rerun only when their scripts change) are each named by drift,
/// repaired by the desired state's own scripts, and drift exits 0 afterwards with the tunnel up.
/// </summary>
public sealed class DriftRepairLabCliTests(ITestOutputHelper output) : DeployedLabTest
{
    private CliRunner.Result Run(params string[] args) => CliRunner.RunAgainstLab(Lab, output, args);

    private async Task<string> ContainerAsync(string script) => (await Lab.ContainerAsync(script)).EnsureSuccess(script).StdOut.Trim();

    [Fact]
    public async Task DriftRepair_AfterEveryHandChangeRedeployLeftInPlace_DriftCleanAndTunnelUp()
    {
        // The hand changes of issue 14, all at once: a stranger peer and another listen port set live on wg0, wg0.conf
        // made 0644, ufw disabled on hub2, the relay container of 51820 stopped (its process gone, as a stopped container's).
        var stranger = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
        await ContainerAsync($"wg set wg0 peer {stranger} allowed-ips 10.200.0.99/32\nwg set wg0 listen-port 51999\nchmod 644 /etc/wireguard/wg0.conf\n");
        (await Lab.Hub.ConsoleAsync("ufw disable >/dev/null\n")).EnsureSuccess("ufw disable");
        var containers = JsonDocument.Parse(File.ReadAllText(Path.Combine(Lab.HubDir, "docker-state.json"))).RootElement;
        var relay = containers.EnumerateArray().Single(c => c.GetProperty("Name").GetString() == "/difenn_relay_51820");
        (await Lab.HubNs.RunAsync("kill", [relay.GetProperty("State").GetProperty("Pid").GetInt32().ToString()])).EnsureSuccess("stop the relay");

        var drift = Run("drift", "--json");
        Assert.Equal(2, drift.ExitCode);
        var items = JsonDocument.Parse(drift.Out).RootElement.GetProperty("items").EnumerateArray()
            .Where(i => i.GetProperty("verdict").GetString() != "inSync").Select(i => $"{i.GetProperty("host").GetString()} {i.GetProperty("item").GetString()}: {i.GetProperty("live").GetString()}").ToList();
        output.WriteLine(string.Join("\n", items));
        Assert.Contains(items, i => i.StartsWith("ct2914 ") && i.Contains("listen port"));
        Assert.Contains(items, i => i.StartsWith("ct2914 ") && i.Contains("mode"));
        Assert.Contains(items, i => i.StartsWith("ct2914 wg0 peer ") && i.Contains(stranger));
        Assert.Contains("hub2 ufw status: inactive", items);
        Assert.Contains("hub2 container difenn_relay_51820: stopped", items);

        var repair = Run("drift", "--repair");
        Assert.Equal(0, repair.ExitCode);
        Assert.Contains("repaired wg0 live (wg syncconf)", repair.Out);
        Assert.Contains("after the repair:", repair.Out);
        Assert.Contains("xe300: 0 of", repair.Err); // checked after the repair: reached through the tunnel

        // Live, not only the files: the stranger is gone, the port is back, the file is 0600, ufw is active, the relay runs.
        Assert.DoesNotContain(stranger, await ContainerAsync("wg show wg0 peers"));
        Assert.Equal("51820", await ContainerAsync("wg show wg0 listen-port"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Lab.CtDir, "etc", "wg0.conf")));
        Assert.Contains("Status: active", (await Lab.Hub.ConsoleAsync("ufw status\n")).StdOut);
        Assert.Contains("1 received", await ContainerAsync("ping -c 1 -W 3 10.200.0.2 || ping -c 1 -W 5 10.200.0.2 || true"));

        // Nothing left to repair: the same command is a no-op that exits 0.
        var again = Run("drift", "--repair", "--json");
        Assert.Equal(0, again.ExitCode);
        Assert.False(JsonDocument.Parse(again.Out).RootElement.TryGetProperty("repaired", out _)); // nothing drifted: nothing ran
    }
}
