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

    private static LiveHub Live(params UfwRule[] rules) => Live(new Dictionary<string, string>(), rules);

    private static LiveHub Live(IReadOnlyDictionary<string, string> files, params UfwRule[] rules) =>
        new(new LiveUfw(true, true, rules), true, new Dictionary<string, LiveContainer>(), new Dictionary<int, IReadOnlyList<string>>(), files);

    /// <summary>The relays re-read their server keys file: a hand edit to it is drift, like one to the compose file.</summary>
    [Fact]
    public void Compare_ServerKeysFileEditedByHand_NamedComposeInSync()
    {
        var hub = Hub();
        var compose = hub.Files.Single(f => f.Path.EndsWith("compose.yaml", StringComparison.Ordinal));
        var keys = hub.Files.Single(f => f.Path.EndsWith("server-public-keys", StringComparison.Ordinal));
        var files = new Dictionary<string, string> { [compose.Path] = compose.Content.TemplateHash, [keys.Path] = new string('a', 64) };

        var items = HubDrift.Compare(hub, Live(files), []);

        Assert.Equal(DriftVerdict.InSync, Assert.Single(items, i => i.Item == $"{compose.Path} sha256").Verdict);
        var edited = Assert.Single(items, i => i.Item == $"{keys.Path} sha256");
        Assert.NotEqual(DriftVerdict.InSync, edited.Verdict);
        Assert.Equal("aaaaaaaaaaaa", edited.Live);
        Assert.Equal(DriftVerdict.Missing, Assert.Single(HubDrift.Compare(hub, Live(), []), i => i.Item == keys.Path).Verdict);
    }

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
