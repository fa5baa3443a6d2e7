using Difenn.Operations.Drift;
using Difenn.Operations.Live;
using Difenn.Testing;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;

namespace Difenn.Operations.Tests.Drift;

/// <summary>drift on the router's failover watchdog: installed as the desired state renders it, missing, stale, stopped.</summary>
public class WatchdogDriftTests
{
    private static HostState Xe300() => DesiredStateBuilder.Build(StackLoader.Load(RepoFiles.ProdStackPath).Stack!).Host("xe300");

    private static IReadOnlyList<DriftItem> Items(string program, string init, bool procd, bool running) =>
        OpenWrtDrift.Compare(Xe300(), OpenWrtProbe.Parse($"@@difenn:watchdog\nprogram={program}\ninit={init}\nprocd={(procd ? 1 : 0)}\nrunning={(running ? 1 : 0)}\n"))
            .Where(i => i.Item.StartsWith("watchdog", StringComparison.Ordinal)).ToList();

    [Fact]
    public void Compare_InstalledAsRenderedAndRunning_InSync()
    {
        var program = OpenWrtWatchdog.ProgramIn(Xe300().Commands.Single().Create.Template)!;
        Assert.Contains("FALLBACK=443", program);
        var items = Items(OpenWrtWatchdog.Md5(program), OpenWrtWatchdog.Md5(OpenWrtWatchdog.InitScript), procd: true, running: true);
        Assert.Equal(3, items.Count);
        Assert.All(items, i => Assert.Equal(DriftVerdict.InSync, i.Verdict));
    }

    [Fact]
    public void Compare_MissingStaleStopped_EachReported()
    {
        var items = Items("", "0123456789abcdef0123456789abcdef", procd: true, running: false);
        Assert.Contains(items, i => i.Item == "watchdog /etc/difenn/watchdog" && i.Live == "(missing)" && i.Verdict != DriftVerdict.InSync);
        Assert.Contains(items, i => i.Item == "watchdog /etc/init.d/difenn-watchdog" && i.Live.StartsWith("stale") && i.Verdict != DriftVerdict.InSync);
        Assert.Contains(items, i => i.Item == "watchdog running" && i.Live == "stopped" && i.Verdict != DriftVerdict.InSync);
    }
}
