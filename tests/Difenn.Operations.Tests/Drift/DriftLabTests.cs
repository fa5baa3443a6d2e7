using Difenn.Operations.Drift;
using Difenn.Testing.Lab;

namespace Difenn.Operations.Tests.Drift;

/// <summary>
/// Drift detection against the namespace lab (real sshd, ufw, wg, wireguard-go, the relay binary; fakes only for
/// docker, pct, uci/netifd and systemctl), with drift introduced by hand on each host.
/// </summary>
public sealed class DriftLabTests : IAsyncLifetime
{
    private TopologyLab _lab = null!;

    public async Task InitializeAsync()
    {
        _lab = await TopologyLab.StartAsync();
        await _lab.DeployAsync();
    }

    public async Task DisposeAsync() => await _lab.DisposeAsync();

    private async Task<DriftReport> CheckAsync()
    {
        await using var shell = _lab.Shell();
        return await new DriftDetector(shell).CheckAsync(_lab.Stack(), _lab.Desired());
    }

    private static string Describe(DriftReport r) =>
        string.Join("\n", r.Items.Where(i => i.Verdict != DriftVerdict.InSync).Select(i => $"{i.Host} | {i.Item} | {i.Desired} | {i.Live} | {i.Verdict}"));

    [Fact]
    public async Task Check_FreshlyDeployed_EveryHostInSync()
    {
        var report = await CheckAsync();
        Assert.True(report.ExitCode == 0, Describe(report));
        foreach (var host in new[] { "hub2", "ct2914", "xe300", "dns" })
            Assert.Contains(report.Items, i => i.Host == host);
        Assert.Contains(report.Items, i => i is { Host: "hub2", Item: "ufw 443/udp", Verdict: DriftVerdict.InSync });
        Assert.Contains(report.Items, i => i is { Host: "xe300", Item: "uci network.wg_difenn_server.persistent_keepalive", Desired: "25", Live: "25" });
    }
}
