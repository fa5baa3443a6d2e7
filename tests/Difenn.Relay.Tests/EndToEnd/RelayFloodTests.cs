using System.Text.RegularExpressions;

namespace Difenn.Relay.Tests.EndToEnd;

/// <summary>
/// The session-table flood of the adversarial review (issue 12), against a real WireGuard tunnel: forged initiations
/// with a valid MAC1 from 2048 source endpoints must neither lock a real client out nor survive a restart.
/// </summary>
public class RelayFloodTests
{
    [Fact]
    public async Task Flood_ValidMac1FromManySources_RealClientGetsThroughAndRestartKeepsOnlyConfirmed()
    {
        var dir = Directory.CreateTempSubdirectory("dfn-e2e-flood-").FullName;
        try
        {
            await using var lab = await TunnelLab.CreateAsync(51820);
            var state = Path.Combine(dir, "sessions");
            // A small table, so the flood fills it many times over within the test.
            await lab.StartRelayAsync(state, "--max-sessions", "128");
            Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(15)), "no initial ping: " + Log(lab));

            // 256 addresses in 16 /24s, 8 ports each: 2048 endpoints, every one valid by MAC1, each kept busy by a
            // type-4 datagram after its initiation.
            var sources = await InitiationFlood.PrepareAsync(lab.Client, lab.Hub, "10.0.1.1", prefixes: 16, hosts: 16);
            var flood = InitiationFlood.RunAsync(lab.Client, lab.ServerKey.PublicKey.ToBase64(), TunnelLab.HubFront, 51820, sources,
                TimeSpan.FromSeconds(45), perSecond: 1000);
            await Task.Delay(TimeSpan.FromSeconds(5)); // the table is full of forged sessions long before this

            // The LTE router's carrier changes its port in the middle of the flood: it needs a new session.
            await lab.Client.ExecAsync("wg", "set", lab.ClientWg.Name, "listen-port", "40001");
            Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(35)), "the real client did not get through the flood: " + Tail(lab));
            Assert.False(flood.IsCompleted, "the flood ended before the client got through; the test proves nothing");
            Assert.True(await flood > 5000);
            var log = Log(lab);
            Assert.Contains("session opened 10.0.1.1:40001", log);
            Assert.Contains("evicted: table full; the backend never answered it", log);

            // A restart after the flood brings back the real client's sessions only.
            await lab.StopRelayAsync(graceful: true);
            var saved = File.ReadAllLines(state).Where(l => !l.StartsWith('#') && l.Length > 0).ToList();
            Assert.NotEmpty(saved);
            Assert.All(saved, l => Assert.Contains(" 10.0.1.1:", l));
            Assert.DoesNotContain(saved, l => l.Contains(" 10.1."));
            lock (lab.RelayLog) lab.RelayLog.Clear();
            await lab.StartRelayAsync(state, "--max-sessions", "128");
            Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(3)), "tunnel did not continue through the restarted relay: " + Tail(lab));
            Assert.Matches(new Regex($"restored {saved.Count} sessions"), Log(lab));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The relay's log so far (its stderr is appended under this lock while the relay runs).</summary>
    private static string Log(TunnelLab lab)
    {
        lock (lab.RelayLog) return lab.RelayLog.ToString();
    }

    private static string Tail(TunnelLab lab)
    {
        var text = Log(lab);
        return text.Length > 4000 ? text[^4000..] : text;
    }
}
