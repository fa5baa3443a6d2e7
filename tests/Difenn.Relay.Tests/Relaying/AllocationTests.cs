using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Difenn.Relay.Observability;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>
/// The hot path allocates nothing. Measured on a real difenn-relay process (so the test host's own allocations
/// do not count) through its allocated-bytes metric, over many round trips client → relay → backend → relay → client.
/// </summary>
public partial class AllocationTests
{
    private const int WarmUp = 3000;
    private const int Measured = 20000;

    [Theory]
    [InlineData(64)]
    [InlineData(1452)]
    public async Task Relay_SteadyState_NoAllocationPerPacket(int size)
    {
        using var backend = new EchoBackend { Record = false };
        await using var relay = await RelayProcess.StartAsync(["--backend", $"127.0.0.1:{backend.EndPoint.Port}"]);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Connect(relay.Listen);
        var packet = Packets.Transport(1, size);
        var reply = new byte[2048];

        async Task RoundTrips(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await client.SendAsync(packet.AsMemory(), SocketFlags.None);
                await client.ReceiveAsync(reply.AsMemory(), SocketFlags.None);
            }
        }

        var run = Task.Run(() => RoundTrips(WarmUp));
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(30))));
        var a = await AllocatedAsync(relay.Metrics);
        var b = await AllocatedAsync(relay.Metrics); // the cost of one scrape, with no traffic in between
        run = Task.Run(() => RoundTrips(Measured));
        Assert.Same(run, await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))));
        var c = await AllocatedAsync(relay.Metrics);

        var scrape = b - a;
        var traffic = c - b - scrape;
        // One allocation per datagram would show as at least Measured × 2 × 24 = 960,000 bytes; the bound is 20x
        // below that. What remains is once-a-second housekeeping and the JIT's tier-up while the round trips ran.
        Assert.True(traffic < Measured, $"relay process allocated {traffic} bytes over {Measured} round trips ({(double)traffic / Measured:F3} bytes each; scrape costs {scrape})");
    }

    private static async Task<long> AllocatedAsync(IPEndPoint metrics)
    {
        var (_, body) = await MetricsServer.GetAsync(metrics, "/metrics", TimeSpan.FromSeconds(5));
        return long.Parse(AllocatedRegex().Match(body).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"^difenn_relay_allocated_bytes_total (\d+)$", RegexOptions.Multiline)]
    private static partial Regex AllocatedRegex();
}
