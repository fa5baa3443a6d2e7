using System.Text.Json;
using System.Text.RegularExpressions;
using Difenn.Relay.Observability;
using Difenn.Relay.Tests.Relaying;
using Difenn.Testing;
using Difenn.Testing.Processes;

namespace Difenn.Relay.Tests.Monitoring;

/// <summary>
/// The alert rules and the Grafana dashboard shipped next to the compose file: Prometheus's own promtool accepts the
/// rules and their unit tests pass (each alert fires on its series, after its `for:`), and every metric and label
/// value they name is one a running relay actually exports, so no alert or panel watches a series that never exists.
/// </summary>
public sealed partial class MonitoringFilesTests
{
    private static string Dir => Path.Combine(RepoFiles.Root, "src", "Difenn.Relay", "deploy", "monitoring");
    private static string Rules => Path.Combine(Dir, "difenn-relay.rules.yaml");
    private static string RulesTests => Path.Combine(Dir, "difenn-relay.rules.test.yaml");
    private static string Dashboard => Path.Combine(Dir, "difenn-relay.dashboard.json");

    /// <summary>Series Prometheus makes itself (not exported by the relay).</summary>
    private static readonly HashSet<string> Synthesized = ["up"];

    [Fact]
    public async Task PromtoolCheckRules_ShippedRules_Valid()
    {
        var r = await ProcessRunner.RunAsync("promtool", ["check", "rules", Rules]);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("SUCCESS: 6 rules found", r.StdOut);
    }

    [Fact]
    public async Task PromtoolTestRules_EachAlertFiresOnItsSeriesOnlyAfterItsFor()
    {
        var r = await ProcessRunner.RunAsync("promtool", ["test", "rules", RulesTests], workingDirectory: Dir);
        Assert.True(r.ExitCode == 0, r.StdOut + r.StdErr);
        Assert.Contains("SUCCESS", r.StdOut);
    }

    [Fact]
    public void Dashboard_ValidJsonEveryPanelQueriesTheRelaysJob()
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Dashboard)).RootElement;
        Assert.Equal("difenn-relay", doc.GetProperty("uid").GetString());
        var panels = doc.GetProperty("panels").EnumerateArray().ToList();
        Assert.True(panels.Count >= 8);
        foreach (var p in panels)
            foreach (var t in p.GetProperty("targets").EnumerateArray())
                Assert.Contains("job=\"$job\"", t.GetProperty("expr").GetString());
    }

    [Fact]
    public async Task EveryMetricAndLabelValueNamed_IsExportedByTheRunningRelay()
    {
        using var backend = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        await using var relay = await RelayProcess.StartAsync(["--backend", $"127.0.0.1:{((System.Net.IPEndPoint)backend.Client.LocalEndPoint!).Port}"]);
        var (status, body) = await MetricsServer.GetAsync(relay.Metrics, "/metrics", TimeSpan.FromSeconds(5));
        Assert.Equal(200, status);
        var exported = new Dictionary<string, HashSet<string>>(); // metric → "label=value" pairs seen
        foreach (var line in body.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            var m = SampleLine().Match(line);
            Assert.True(m.Success, line);
            var pairs = exported.TryGetValue(m.Groups["name"].Value, out var s) ? s : exported[m.Groups["name"].Value] = [];
            foreach (Match l in LabelPair().Matches(m.Groups["labels"].Value)) pairs.Add($"{l.Groups["label"].Value}={l.Groups["value"].Value}");
        }

        var named = 0;
        foreach (var (file, text) in new[] { Rules, RulesTests, Dashboard }.Select(f => (Path.GetFileName(f), File.ReadAllText(f))))
        {
            // Each selector: a metric name and its matchers, e.g. difenn_relay_dropped_total{job="...", reason="bad_mac1"}.
            foreach (Match sel in Selector().Matches(text))
            {
                var name = sel.Groups["name"].Value;
                if (Synthesized.Contains(name)) continue;
                Assert.True(exported.ContainsKey(name), $"{file} names {name}, which the relay does not export");
                named++;
                foreach (Match l in Matcher().Matches(sel.Groups["matchers"].Value))
                {
                    var label = l.Groups["label"].Value;
                    if (label is "job" or "instance") continue; // set by Prometheus's scrape
                    var values = l.Groups["op"].Value.Contains('~') ? l.Groups["value"].Value.Split('|') : [l.Groups["value"].Value];
                    foreach (var v in values)
                        Assert.True(exported[name].Contains($"{label}={v}"), $"{file}: {name}{{{label}=\"{v}\"}} is never exported (exported: {string.Join(", ", exported[name])})");
                }
            }
        }
        // The rules, their tests and the dashboard name the relay's series dozens of times: a regex that matched
        // nothing would pass the loop above vacuously.
        Assert.True(named >= 30, $"only {named} selectors found");
        foreach (var metric in new[] { "difenn_relay_sessions_active", "difenn_relay_dropped_total", "difenn_relay_backend_errors_total" })
            Assert.Contains(metric, File.ReadAllText(Rules));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? \S+$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>[^""]*)""")]
    private static partial Regex LabelPair();

    [GeneratedRegex(@"\b(?<name>difenn_relay_[a-z0-9_]+|up)\b(\{(?<matchers>[^}]*)\})?")]
    private static partial Regex Selector();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(?<op>=~|!~|!=|=)\s*\\?""(?<value>[^""\\]*)\\?""")]
    private static partial Regex Matcher();
}
