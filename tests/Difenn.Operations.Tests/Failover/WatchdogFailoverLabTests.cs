using System.Diagnostics;
using Difenn.Operations.Verification;
using Difenn.Testing.Lab;
using Difenn.Topology.Desired;
using Xunit.Abstractions;

namespace Difenn.Operations.Tests.Failover;

/// <summary>
/// The router's failover watchdog on the real path router → relay (hub2) → server, in the namespace lab: the
/// watchdog installed by the router's own apply script, run as its procd service would run it (the lab has no
/// procd, so the test starts the same command); UDP blocked with iptables in the router's namespace. Each switch
/// is timed from the block to the first ping answered (a measurement, printed; not a timed assertion).
/// </summary>
public sealed class WatchdogFailoverLabTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Name = "hub2.lab";
    private TopologyLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = await TopologyLab.StartAsync(endpointHost: Name);
        await _lab.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_lab is null) return;
        await _lab.RouterConsoleAsync($"[ ! -f {OpenWrtWatchdog.PidPath} ] || kill \"$(cat {OpenWrtWatchdog.PidPath})\" 2>/dev/null; true\n");
        await _lab.DisposeAsync();
    }

    private async Task<string> RouterAsync(string script) => (await _lab.RouterConsoleAsync(script)).EnsureSuccess(script).StdOut.Trim();

    private Task<string> EndpointAsync() => RouterAsync("wg show wg_difenn endpoints | cut -f2\n");

    /// <summary>Seconds from now until a ping over the tunnel is answered while the router's endpoint satisfies <paramref name="endpointOk"/>.</summary>
    private async Task<double> TimeToPingAsync(Func<string, bool> endpointOk, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var ping = await _lab.RouterConsoleAsync("ping -c 1 -W 1 10.200.0.1 >/dev/null\n");
            if (ping.ExitCode == 0 && endpointOk(await EndpointAsync())) return clock.Elapsed.TotalSeconds;
            await Task.Delay(300);
        }
        var status = await _lab.RouterConsoleAsync($"cat {OpenWrtWatchdog.StatusPath}; ps -eo pid,args | grep -e [w]atchdog; wg show wg_difenn\n");
        throw new Xunit.Sdk.XunitException($"no ping answered within {timeout.TotalSeconds}s; endpoint {await EndpointAsync()}\n{status.StdOut}\n{await _lab.DiagnosticsAsync()}");
    }

    [Fact]
    public async Task Watchdog_PortBlockedThenOtherPortBlockedThenHubMoves_TunnelFollowsEachTime()
    {
        // Installed by the apply script, idempotently: a second apply changes nothing.
        Assert.Contains("procd_set_param command /bin/sh " + OpenWrtWatchdog.ProgramPath, File.ReadAllText(Path.Combine(_lab.RouterDir, "upper", "init.d", "difenn-watchdog")));
        var apply = _lab.Desired().Hosts.Single(h => h.Role == "openwrt-peer").Commands.Single().Create.Reveal(_lab.Secrets);
        var again = await RouterAsync(apply);
        Assert.DoesNotContain("watchdog installed", again);
        Assert.EndsWith("unchanged", again);
        Assert.EndsWith(":51820", await EndpointAsync());

        // The deploy's rollback timer (the watchdog stands still while one is pending) runs out first.
        for (var i = 0; i < 60 && File.Exists(Path.Combine(_lab.RouterDir, "upper", "difenn", "rollback.pid")); i++) await Task.Delay(1000);
        // What procd would run (START via /etc/init.d/difenn-watchdog): the same program, in the background.
        await RouterAsync($"setsid sh {OpenWrtWatchdog.ProgramPath} </dev/null >/dev/null 2>&1 &\nsleep 1\n");

        // A carrier blocking a port blocks both directions.
        const string Block = "iptables -I OUTPUT -p udp --dport {0} -j DROP\niptables -I INPUT -p udp --sport {0} -j DROP\n";
        const string Unblock = "iptables -D OUTPUT -p udp --dport {0} -j DROP\niptables -D INPUT -p udp --sport {0} -j DROP\n";
        var toFallback = new List<double>();
        var toPrimary = new List<double>();
        const int runs = 3;
        for (var i = 0; i < runs; i++)
        {
            await RouterAsync(string.Format(Block, 51820));
            toFallback.Add(await TimeToPingAsync(e => e.EndsWith(":443"), TimeSpan.FromSeconds(150)));
            await RouterAsync(string.Format(Unblock, 51820) + string.Format(Block, 443));
            toPrimary.Add(await TimeToPingAsync(e => e.EndsWith(":51820"), TimeSpan.FromSeconds(150)));
            await RouterAsync(string.Format(Unblock, 443));
            output.WriteLine($"run {i + 1}: 51820 blocked → ping over 443 after {toFallback[^1]:F1}s; 443 blocked → ping over 51820 after {toPrimary[^1]:F1}s");
        }
        var all = toFallback.Concat(toPrimary).Order().ToList();
        output.WriteLine($"failover block → first ping answered, n={all.Count}: median {Median(all):F1}s, max {all[^1]:F1}s (to 443: {string.Join(", ", toFallback.Select(t => t.ToString("F1")))}; back to 51820: {string.Join(", ", toPrimary.Select(t => t.ToString("F1")))})");
        var status = await RouterAsync($"cat {OpenWrtWatchdog.StatusPath}\n");
        Assert.Contains("port=51820", status);
        Assert.Contains("trying primary 51820", status);
        await using (var shell = _lab.Shell())
        {
            var report = await new Verifier(shell).VerifyAsync(_lab.Stack(), _lab.Desired());
            var port = Assert.Single(report.Checks, c => c.Name == "xe300 uplink and port");
            output.WriteLine($"verify: {port.Detail}");
            Assert.Contains("port 51820 (primary); failover watchdog", port.Detail);
            Assert.Contains("trying primary 51820", port.Detail);
        }

        // The hub moves: its name now resolves to another address and the old one is gone.
        const string Moved = "10.9.1.3";
        var hubLink = (await _lab.HubNs.ExecAsync("sh", "-c", $"ip -o addr show | awk '$4 == \"{LabStack.HubFront}/24\" {{print $2}}'")).Trim();
        // Keep the new address when the old (primary) one goes: Linux drops secondaries with their primary otherwise.
        await _lab.HubNs.ExecAsync("sysctl", "-q", "-w", $"net.ipv4.conf.{hubLink}.promote_secondaries=1");
        await _lab.HubNs.ExecAsync("ip", "addr", "add", Moved + "/24", "dev", hubLink);
        _lab.SetRouterHostsEntry(Name, Moved);
        await _lab.HubNs.ExecAsync("ip", "addr", "del", LabStack.HubFront + "/24", "dev", hubLink);
        var moved = await TimeToPingAsync(e => e.StartsWith(Moved + ":"), TimeSpan.FromSeconds(150));
        output.WriteLine($"hub moved to {Moved}: ping answered after {moved:F1}s, endpoint {await EndpointAsync()}");
        // The committed config still names the host and the primary port: the watchdog changes only the live interface.
        var committed = File.ReadAllText(Path.Combine(_lab.RouterDir, "upper", "config", "network"));
        Assert.Contains($"option endpoint_host '{Name}'", committed);
        Assert.Contains("option endpoint_port '51820'", committed);
    }

    private static double Median(List<double> sorted) => sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
