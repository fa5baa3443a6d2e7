using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying;
using Difenn.Relay.Sessions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>
/// Sessions the backend never answered (unconfirmed) cannot own the table: in-process on loopback, a silent backend
/// standing in for a WireGuard server that rejects forged initiations.
/// </summary>
public sealed class SessionFloodTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dfn-relay-flood-").FullName;

    private static async Task<RelayEngine> StartAsync(EchoBackend backend, Func<RelayOptions, RelayOptions> configure, TimeProvider? time = null)
    {
        var options = configure(new RelayOptions
        {
            Listen = [new IPEndPoint(IPAddress.Loopback, 0)], BackendHost = "127.0.0.1", BackendPort = backend.EndPoint.Port, Metrics = null,
        });
        var engine = new RelayEngine(options, time ?? TimeProvider.System, NullLogger.Instance);
        await engine.StartAsync();
        return engine;
    }

    private static async Task Until(Func<bool> condition, string what)
    {
        for (var i = 0; i < 300 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task TableFullOfUnconfirmed_Newcomer_EvictsOldestUnconfirmedInsteadOfBeingRefused()
    {
        using var backend = new EchoBackend { Silent = true };
        await using var relay = await StartAsync(backend, o => o with { MaxSessions = 2 });
        var clients = Enumerable.Range(0, 3).Select(_ => new UdpClientSocket()).ToList();
        foreach (var c in clients)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        await Until(() => Volatile.Read(ref backend.Received) == 3, "the newcomer's datagram should reach the backend");
        Assert.Equal(2, relay.ActiveSessions);
        Assert.Equal(1, relay.Metrics.Evicted);
        Assert.Equal(0, relay.Metrics.Drops(DropReason.SessionCap));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task TableFull_EvictsFromTheBusiestPrefix_NotTheLoneClientThatCameFirst()
    {
        using var backend = new EchoBackend { Silent = true }; // a server slow to answer: nothing is confirmed yet
        await using var relay = await StartAsync(backend, o => o with { MaxSessions = 4 });
        using var lone = new UdpClientSocket(IPAddress.Parse("127.0.1.1")); // a real client, alone in its /24, oldest
        lone.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        await Task.Delay(50);
        var flood = Enumerable.Range(0, 4).Select(_ => new UdpClientSocket()).ToList(); // 127.0.0.1, one /24
        foreach (var c in flood)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        await Until(() => Volatile.Read(ref backend.Received) == 5, "every datagram should reach the backend");
        Assert.Equal(1, relay.Metrics.Evicted);

        // The lone client's session is still there: its next datagram opens nothing and evicts nobody.
        lone.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        await Until(() => Volatile.Read(ref backend.Received) == 6, "the lone client's datagram should reach the backend");
        Assert.Equal(1, relay.Metrics.Evicted);
        Assert.Equal(4, relay.ActiveSessions);
        flood.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task TableFull_ConfirmedSessionInUse_NeverEvictedByUnansweredNewcomers()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, o => o with { MaxSessions = 2 });
        using var real = new UdpClientSocket();
        real.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        Assert.NotNull(real.Receive(Wait)); // answered: confirmed
        backend.Silent = true;
        var flood = Enumerable.Range(0, 5).Select(_ => new UdpClientSocket()).ToList();
        foreach (var c in flood)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(30);
        }
        await Until(() => relay.Metrics.Evicted == 4, "each newcomer after the first should replace the previous unanswered one");
        backend.Silent = false;
        real.Send(Packets.Transport(2), relay.LocalEndPoints[0]);
        Assert.Equal(2, Packets.Seq(real.Receive(Wait)!.Value.Data));
        Assert.Equal(6, relay.Metrics.Opened); // the real client's session was never replaced
        flood.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Unconfirmed_KeptBusyByTheClient_ClosedAfterUnconfirmedTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var backend = new EchoBackend { Silent = true };
        await using var relay = await StartAsync(backend, o => o with { UnconfirmedTimeout = TimeSpan.FromSeconds(10) }, time);
        using var client = new UdpClientSocket();
        for (var i = 0; i < 9; i++)
        {
            client.Send(Packets.Transport(i), relay.LocalEndPoints[0]); // type-4 datagrams keep it active, not confirmed
            await Until(() => Volatile.Read(ref backend.Received) == i + 1, "datagram relayed");
            time.Advance(TimeSpan.FromSeconds(1));
        }
        client.Send(Packets.Transport(9), relay.LocalEndPoints[0]);
        await Until(() => Volatile.Read(ref backend.Received) == 10, "datagram relayed");
        Assert.Equal(1, relay.ActiveSessions);
        time.Advance(TimeSpan.FromSeconds(2)); // 11 s after it opened, 2 s after its last datagram
        await Until(() => relay.ActiveSessions == 0, "an unanswered session must not outlive the unconfirmed timeout");
        Assert.True(relay.Metrics.UnconfirmedExpired >= 1);
        Assert.Equal(0, relay.Metrics.Expired); // not the idle timeout
    }

    [Fact]
    public async Task PerSourceCap_NewcomerReplacesThatSourcesOldestUnconfirmed()
    {
        using var backend = new EchoBackend { Silent = true };
        await using var relay = await StartAsync(backend, o => o with { MaxUnconfirmedPerSource = 2 });
        var clients = Enumerable.Range(0, 3).Select(_ => new UdpClientSocket()).ToList(); // all 127.0.0.1
        foreach (var c in clients)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        await Until(() => Volatile.Read(ref backend.Received) == 3, "all three relayed");
        Assert.Equal(2, relay.ActiveSessions);
        Assert.Equal(1, relay.Metrics.Evicted);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task PerPrefixCap_AddressesOfOneSlash24_CountTogether()
    {
        using var backend = new EchoBackend { Silent = true };
        await using var relay = await StartAsync(backend, o => o with { MaxUnconfirmedPerPrefix = 2 });
        var clients = new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.1.1" }.Select(a => new UdpClientSocket(IPAddress.Parse(a))).ToList();
        foreach (var c in clients)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        await Until(() => Volatile.Read(ref backend.Received) == 4, "all four relayed");
        Assert.Equal(3, relay.ActiveSessions); // two of 127.0.0.0/24, one of 127.0.1.0/24
        Assert.Equal(1, relay.Metrics.Evicted);
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task StateFile_HoldsConfirmedSessionsOnly()
    {
        var state = Path.Combine(_dir, "sessions");
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, o => o with { StateFile = state });
        using var confirmed = new UdpClientSocket();
        using var unanswered = new UdpClientSocket();
        confirmed.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        Assert.NotNull(confirmed.Receive(Wait));
        // An initiation echoed back is not a handshake response: the backend did not accept it.
        unanswered.Send(Mac1.Initiation(new byte[32]), relay.LocalEndPoints[0]);
        Assert.NotNull(unanswered.Receive(Wait));
        Assert.Equal(2, relay.ActiveSessions);
        relay.SaveState();
        var lines = File.ReadAllLines(state).Where(l => !l.StartsWith('#')).ToList();
        Assert.Single(lines);
        Assert.Contains($" {confirmed.EndPoint} ", lines[0]);
    }

    [Theory]
    [InlineData("10.1.2.3", "10.1.2.4", false, true)]
    [InlineData("10.1.2.3", "10.1.3.3", false, false)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true, true)] // one /64: one source
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false, true)] // one /48
    [InlineData("2001:db8:1:2::1", "2001:db8:2:2::1", false, false)]
    public void Keys_IPv4ByAddressAndSlash24_IPv6BySlash64AndSlash48(string a, string b, bool sameSource, bool samePrefix)
    {
        var ka = SessionAdmission.Keys(new IPEndPoint(IPAddress.Parse(a), 1).Serialize());
        var kb = SessionAdmission.Keys(new IPEndPoint(IPAddress.Parse(b), 2).Serialize());
        Assert.Equal(sameSource, ka.Source == kb.Source);
        Assert.Equal(samePrefix, ka.Prefix == kb.Prefix);
        Assert.NotEqual(ka.Source, ka.Prefix);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
