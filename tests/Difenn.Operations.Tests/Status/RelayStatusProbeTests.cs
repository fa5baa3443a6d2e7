using Difenn.Operations.Status;

namespace Difenn.Operations.Tests.Status;

public class RelayStatusProbeTests
{
    private const string Metrics443 = """
        # HELP difenn_relay_sessions_active Sessions currently open.
        # TYPE difenn_relay_sessions_active gauge
        difenn_relay_sessions_active 2
        difenn_relay_sessions_opened_total 7
        difenn_relay_dropped_total{reason="not_wire_guard"} 12
        difenn_relay_dropped_total{reason="bad_mac1"} 0
        difenn_relay_backend_errors_total{kind="unreachable"} 3

        """;

    // ss -Huanp as iproute2 prints it: two relay processes (one a listen port), upstream sockets connected to the backend.
    private const string Ss = """
        UNCONN 0      0            0.0.0.0:51820      0.0.0.0:*    users:(("difenn-relay",pid=101,fd=5))
        UNCONN 0      0            0.0.0.0:443        0.0.0.0:*    users:(("difenn-relay",pid=202,fd=5))
        ESTAB  0      0          10.44.1.1:40001  10.44.1.214:51820 users:(("difenn-relay",pid=101,fd=9))
        ESTAB  0      0          10.44.1.1:40002  10.44.1.214:51820 users:(("difenn-relay",pid=202,fd=9))
        ESTAB  0      0          10.44.1.1:40003   10.9.9.9:53     users:(("other",pid=303,fd=3))
        UNCONN 0      0            0.0.0.0:68         0.0.0.0:*    users:(("dhclient",pid=404,fd=6))
        """;

    [Fact]
    public void Parse_MetricsAndSockets_UpstreamPortsMappedToTheirListenerUnansweredMetricsNull()
    {
        var output = "@@difenn:metrics-51820\n@@unavailable\n@@difenn:metrics-443\n" + Metrics443 + "@@difenn:ss\n" + Ss + "\n";
        var live = RelayStatusProbe.Parse(output, [51820, 443], "10.44.1.214:51820");
        Assert.Null(live.Metrics[51820]);
        Assert.Contains("difenn_relay_sessions_active 2", live.Metrics[443]);
        Assert.Equal(new Dictionary<int, int> { [40001] = 51820, [40002] = 443 }, live.UpstreamPorts);
    }

    [Fact]
    public void Samples_ByLabel_ValuesOfThatMetricOnly()
    {
        Assert.Equal(new Dictionary<string, long> { [""] = 2 }, RelayStatusProbe.Samples(Metrics443, "difenn_relay_sessions_active"));
        Assert.Equal(new Dictionary<string, long> { ["not_wire_guard"] = 12, ["bad_mac1"] = 0 }, RelayStatusProbe.Samples(Metrics443, "difenn_relay_dropped_total", "reason"));
        Assert.Empty(RelayStatusProbe.Samples(Metrics443, "difenn_relay_sessions"));
    }
}
