using Difenn.Operations.Drift;
using Difenn.Testing.Lab;

namespace Difenn.Operations.Tests.Drift;

/// <summary>
/// Drift detection against the namespace lab (real sshd, ufw, wg, wireguard-go, the relay binary; fakes only for
/// docker, pct, uci/netifd and systemctl), with drift introduced by hand on each host.
/// </summary>
public sealed class DriftLabTests : DeployedLabTest
{
    private async Task<DriftReport> CheckAsync()
    {
        await using var shell = Lab.Shell();
        return await new DriftDetector(shell).CheckAsync(Lab.Stack(), Lab.Desired());
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

    [Fact]
    public async Task Check_DriftIntroducedByHandOnEachHost_ReportedItemByItem()
    {
        var xe300 = Lab.RouterKey.PublicKey.ToBase64();
        // hub2: someone deleted the LTE rule, changed the other's comment, and the runbook's socat container is back.
        (await Lab.Hub.ConsoleAsync("set -e\nufw delete allow 443/udp >/dev/null\nufw allow 51820/udp comment 'hand edit' >/dev/null\n")).EnsureSuccess("ufw edit");
        // CT2914: keepalive changed live (wg set), as a hand fix would.
        (await Lab.ContainerAsync($"wg set wg0 peer {xe300} persistent-keepalive 60")).EnsureSuccess("wg set");
        // XE300: its server public key swapped in uci (committed, not reloaded).
        var stranger = WireGuard.Keys.WireGuardPrivateKey.Generate().PublicKey.ToBase64();
        (await Lab.Router.ConsoleAsync($"uci set network.wg_difenn_server.public_key='{stranger}'\nuci commit network\n", environment: new Dictionary<string, string> { ["PATH"] = $"{Lab.RouterDir}/bin:/usr/sbin:/usr/bin:/sbin:/bin" }))
            .EnsureSuccess("uci set");

        var report = await CheckAsync();

        Assert.Equal(2, report.ExitCode);
        var drift = report.Items.Where(i => i.Verdict != DriftVerdict.InSync).ToList();
        Assert.Contains(drift, i => i is { Host: "hub2", Item: "ufw 443/udp", Verdict: DriftVerdict.Missing });
        Assert.Contains(drift, i => i is { Host: "hub2", Item: "ufw 51820/udp", Live: "allow # hand edit", Verdict: DriftVerdict.Drift });
        Assert.Contains(drift, i => i is { Host: "ct2914", Item: "wg0 peer xe300 keepalive", Desired: "25s", Live: "60s", Verdict: DriftVerdict.Drift });
        Assert.Contains(drift, i => i.Host == "xe300" && i.Item == "uci network.wg_difenn_server.public_key" && i.Live == stranger && i.Verdict == DriftVerdict.Drift);
        // The SSH rule belongs to another service: never reported.
        Assert.DoesNotContain(report.Items, i => i.Item.Contains("22/tcp"));
        Assert.Equal(4, drift.Count);
    }

    [Fact]
    public async Task Check_PeerRemovedOnServer_RouterUnreachableReportedOthersStillChecked()
    {
        (await Lab.ContainerAsync($"wg set wg0 peer {Lab.RouterKey.PublicKey.ToBase64()} remove")).EnsureSuccess("wg set remove");
        // Removing the peer drops the tunnel: the router's probe (ssh from CT2914 through it) cannot connect.

        var report = await CheckAsync();

        Assert.Equal(2, report.ExitCode); // drift found on ct2914 outranks the unchecked router
        Assert.Contains(report.Items, i => (i.Host == "ct2914" && i.Item.StartsWith("wg0 peer xe300 (") && i.Verdict == DriftVerdict.Missing));
        var router = Assert.Single(report.Items, i => i.Host == "xe300");
        Assert.Equal(DriftVerdict.Unknown, router.Verdict);
        Assert.Contains("xe300", router.Live);
        Assert.Contains(report.Items, i => i is { Host: "hub2", Verdict: DriftVerdict.InSync });
        Assert.Equal(["xe300"], report.UncheckedHosts);
    }

    [Fact]
    public async Task Check_HostKeyNotTrusted_RefusedNeverTrustedOnFirstUse()
    {
        File.WriteAllText(Lab.KnownHostsPath, ""); // px3 unknown (hub2's key is pinned in the stack)
        var report = await CheckAsync();

        var px3 = report.Items.Where(i => i.Host is "ct2914" or "xe300").ToList();
        Assert.All(px3, i => Assert.Equal(DriftVerdict.Unknown, i.Verdict));
        Assert.Contains("is not in", px3[0].Live);
        Assert.Contains("ssh-keyscan", px3[0].Live);
        Assert.Contains(report.Items, i => i is { Host: "hub2", Verdict: DriftVerdict.InSync });
        Assert.Equal("", File.ReadAllText(Lab.KnownHostsPath)); // nothing was added
        Assert.Equal(1, report.ExitCode);
    }
}
