using Difenn.Operations.Drift;
using Difenn.Operations.Live;
using Difenn.Testing;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;

namespace Difenn.Operations.Tests.Drift;

/// <summary>HubDrift's items for UFW rules, on the prod stack's desired state and hand-made live readings.</summary>
public sealed class HubDriftTests
{
    private static HostState Hub() => DesiredStateBuilder.Build(StackLoader.Load(RepoFiles.ProdStackPath).Stack!).Hosts.Single(h => h.Role == "hub");

    private static LiveHub Live(params UfwRule[] rules) =>
        new(new LiveUfw(true, true, rules), true, new Dictionary<string, LiveContainer>(), new Dictionary<int, IReadOnlyList<string>>(), null);

    [Fact]
    public void Compare_RulePresent_OneItemPerRuleWithItsLiveValue()
    {
        var hub = Hub();
        var rules = hub.FirewallRules.Select(r => new UfwRule("allow", $"{r.Port}/udp", r.Comment, $"ufw allow {r.Port}/udp comment '{r.Comment}'")).ToArray();

        var items = HubDrift.Compare(hub, Live(rules), []);

        foreach (var r in hub.FirewallRules)
        {
            var item = Assert.Single(items, i => i.Item == $"ufw {r.Port}/udp"); // once, not a "present" item plus a compared one
            Assert.Equal($"allow # {r.Comment}", item.Live);
            Assert.Equal(DriftVerdict.InSync, item.Verdict);
        }
    }

    [Fact]
    public void Compare_RuleMissing_OneMissingItem()
    {
        var hub = Hub();
        var first = hub.FirewallRules[0];
        var rest = hub.FirewallRules.Skip(1).Select(r => new UfwRule("allow", $"{r.Port}/udp", r.Comment, "")).ToArray();

        var items = HubDrift.Compare(hub, Live(rest), []);

        var item = Assert.Single(items, i => i.Item == $"ufw {first.Port}/udp");
        Assert.Equal(("absent", DriftVerdict.Missing), (item.Live, item.Verdict));
    }
}
