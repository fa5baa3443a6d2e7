using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>The relay on real loopback sockets, in-process.</summary>
public class RelayEngineTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    private static async Task<RelayEngine> StartAsync(EchoBackend backend, TimeProvider? time = null, Func<RelayOptions, RelayOptions>? configure = null, int listeners = 1)
    {
        var options = new RelayOptions
        {
            Listen = Enumerable.Range(0, listeners).Select(_ => new IPEndPoint(IPAddress.Loopback, 0)).ToList(),
            BackendHost = "127.0.0.1",
            BackendPort = backend.EndPoint.Port,
            Metrics = null,
        };
        var engine = new RelayEngine(configure?.Invoke(options) ?? options, time ?? TimeProvider.System, NullLogger.Instance);
        await engine.StartAsync();
        return engine;
    }

    [Fact]
    public async Task Relay_TransportData_ReachesBackendAndReplyComesFromListenerPort()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, listeners: 2);
        using var client = new UdpClientSocket();
        foreach (var listener in relay.LocalEndPoints)
        {
            client.Send(Packets.Transport(7), listener);
            var reply = client.Receive(Wait);
            Assert.NotNull(reply);
            Assert.Equal(7, Packets.Seq(reply.Value.Data));
            Assert.Equal(listener, reply.Value.From); // a client on 443 hears back from 443
        }
        Assert.Equal(2, relay.ActiveSessions);
        Assert.Equal(1, relay.Metrics.PacketsIn(0));
        // counted once the send completes, which can be a moment after the client already has the reply
        Assert.True(SpinWait.SpinUntil(() => relay.Metrics.PacketsOut(1) == 1, Wait));
    }

    [Fact]
    public async Task Relay_TwoClients_DistinctUpstreamEndpointsNeverCrossed()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend);
        using var a = new UdpClientSocket();
        using var b = new UdpClientSocket();
        var ep = relay.LocalEndPoints[0];
        for (var i = 0; i < 50; i++)
        {
            a.Send(Packets.Transport(1000 + i), ep);
            b.Send(Packets.Transport(2000 + i), ep);
        }
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(Packets.Seq(a.Receive(Wait)!.Value.Data), 1000, 1049);
            Assert.InRange(Packets.Seq(b.Receive(Wait)!.Value.Data), 2000, 2049);
        }
        lock (backend.Sources) Assert.Equal(2, backend.Sources.Distinct().Count());
        Assert.Equal(2, relay.Metrics.Opened);
    }

    [Fact]
    public async Task Relay_ManyPackets_OrderPreservedWithinSession()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend);
        using var client = new UdpClientSocket();
        client.Socket.ReceiveBufferSize = 4 * 1024 * 1024;
        for (var i = 0; i < 2000; i++)
        {
            client.Send(Packets.Transport(i), relay.LocalEndPoints[0]);
            if (i % 50 == 49) Thread.Sleep(2); // paced: this test is about order, not about loss under a blast
        }
        var seen = new List<int>();
        while (client.Receive(TimeSpan.FromMilliseconds(500)) is { } r) seen.Add(Packets.Seq(r.Data));
        Assert.True(seen.Count > 1500, $"only {seen.Count} of 2000 came back");
        Assert.Equal(seen.Order(), seen); // UDP may lose on a loaded machine, but the relay never reorders
    }

    [Fact]
    public async Task Relay_Junk_DroppedNeverReachesBackend()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend);
        using var client = new UdpClientSocket();
        client.Send("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), relay.LocalEndPoints[0]);
        client.Send(new byte[148], relay.LocalEndPoints[0]); // type 0
        Assert.Null(client.Receive(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, backend.Received);
        Assert.Equal(2, relay.Metrics.Drops(DropReason.NotWireGuard));
        Assert.Equal(0, relay.ActiveSessions);
    }

    [Fact]
    public async Task Relay_DatagramLongerThanWireGuardEverSends_DroppedAsOversizedOthersFlow()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend);
        using var client = new UdpClientSocket();
        var ep = relay.LocalEndPoints[0];
        client.Send(Packets.Transport(1, 3000), ep);
        client.Send(Packets.Transport(2, 1452), ep);
        Assert.Equal(2, Packets.Seq(client.Receive(Wait)!.Value.Data));
        Assert.Equal(1, relay.Metrics.Drops(DropReason.Oversized));
        Assert.Equal(1, backend.Received);
    }

    [Fact]
    public async Task Relay_ThreeClientsBurstingTogether_EachGetsOnlyItsOwnRepliesInOrder()
    {
        using var backend = new EchoBackend { Record = false };
        await using var relay = await StartAsync(backend);
        var clients = Enumerable.Range(0, 3).Select(_ => new UdpClientSocket()).ToList();
        clients.ForEach(c => c.Socket.ReceiveBufferSize = 4 * 1024 * 1024);
        var ep = relay.LocalEndPoints[0];
        for (var i = 0; i < 300; i++)
            for (var c = 0; c < 3; c++)
                clients[c].Send(Packets.Transport((c * 100_000) + i, 100 + (i % 3 * 16)), ep); // interleaved in every batch
        for (var c = 0; c < 3; c++)
        {
            var seen = new List<int>();
            while (clients[c].Receive(TimeSpan.FromMilliseconds(500)) is { } r) seen.Add(Packets.Seq(r.Data));
            Assert.NotEmpty(seen);
            Assert.All(seen, s => Assert.InRange(s, c * 100_000, (c * 100_000) + 299));
            Assert.Equal(seen.Order(), seen);
        }
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Relay_Ipv6Listener_ReplyComesFromTheIpv6ListenerPort()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, configure: o => o with { Listen = [new IPEndPoint(IPAddress.IPv6Loopback, 0)] });
        using var client = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        client.ReceiveTimeout = (int)Wait.TotalMilliseconds;
        var listener = relay.LocalEndPoints[0];
        for (var i = 0; i < 20; i++) client.SendTo(Packets.Transport(i), listener);
        var buffer = new byte[2048];
        for (var i = 0; i < 20; i++)
        {
            EndPoint from = new IPEndPoint(IPAddress.IPv6Any, 0);
            var n = client.ReceiveFrom(buffer, ref from);
            Assert.Equal(i, Packets.Seq(buffer[..n]));
            Assert.Equal(listener, from);
        }
        Assert.Equal(1, relay.Metrics.Opened);
    }

    [Fact]
    public async Task Relay_AnyUdp_RelaysNonWireGuard()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, configure: o => o with { WireGuardOnly = false });
        using var client = new UdpClientSocket();
        client.Send("hello"u8.ToArray(), relay.LocalEndPoints[0]);
        Assert.Equal("hello"u8.ToArray(), client.Receive(Wait)!.Value.Data);
    }

    [Fact]
    public async Task Relay_ServerKey_OnlyValidInitiationOpensSession()
    {
        using var backend = new EchoBackend();
        var serverKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await using var relay = await StartAsync(backend, configure: o => o with { ServerPublicKeys = [serverKey] });
        using var client = new UdpClientSocket();
        var ep = relay.LocalEndPoints[0];
        client.Send(Packets.Transport(1), ep);           // data without a session
        var forged = new byte[148];
        forged[0] = 1;
        client.Send(forged, ep);                          // initiation with a bad MAC1
        Assert.Null(client.Receive(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0, backend.Received);
        SpinWait.SpinUntil(() => relay.Metrics.Drops(DropReason.NoSession) == 1, Wait);
        Assert.True(relay.Metrics.Drops(DropReason.NoSession) == 1, relay.Metrics.Render());
        Assert.Equal(1, relay.Metrics.Drops(DropReason.BadMac1));

        var genuine = Mac1.Initiation(serverKey);
        client.Send(genuine, ep);
        Assert.NotNull(client.Receive(Wait));
        client.Send(Packets.Transport(2), ep);            // now the session exists: data flows
        Assert.Equal(2, Packets.Seq(client.Receive(Wait)!.Value.Data));
    }

    /// <summary>
    /// A rotation adds the new server key to the keys file: the running relay lets that key's initiations through after
    /// its next check (every second), without a restart; a file made invalid afterwards changes nothing.
    /// </summary>
    [Fact]
    public async Task Relay_KeysFileChanged_NewKeyAcceptedWithoutRestart_BadFileKeepsKeysInForce()
    {
        using var backend = new EchoBackend();
        var (oldKey, newKey) = (System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var dir = Directory.CreateTempSubdirectory("dfn-keys-").FullName;
        try
        {
            var file = Path.Combine(dir, "server-public-keys");
            File.WriteAllText(file, $"# the server\n{Convert.ToBase64String(oldKey)}\n");
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            await using var relay = await StartAsync(backend, time, o => o with { ServerPublicKeysFile = file });
            var ep = relay.LocalEndPoints[0];
            using var client = new UdpClientSocket();
            client.Send(Mac1.Initiation(newKey), ep);
            Assert.Null(client.Receive(TimeSpan.FromMilliseconds(300)));
            SpinWait.SpinUntil(() => relay.Metrics.Drops(DropReason.BadMac1) == 1, Wait);
            Assert.Equal(1, relay.Metrics.Drops(DropReason.BadMac1));
            Assert.Contains("difenn_relay_server_keys{sha256=\"" + Sha256(file) + "\"} 1", relay.Metrics.Render());

            // Replaced as a deploy does (written beside it, then renamed over it).
            File.WriteAllText(file + ".tmp", $"{Convert.ToBase64String(newKey)}\n{Convert.ToBase64String(oldKey)}\n");
            File.Move(file + ".tmp", file, overwrite: true);
            relay.Sweep(); // what the one-second timer does
            Assert.Contains("difenn_relay_server_keys{sha256=\"" + Sha256(file) + "\"} 2", relay.Metrics.Render());
            using var client2 = new UdpClientSocket();
            client2.Send(Mac1.Initiation(newKey), ep);
            Assert.NotNull(client2.Receive(Wait));
            using var client3 = new UdpClientSocket();
            client3.Send(Mac1.Initiation(oldKey), ep);
            Assert.NotNull(client3.Receive(Wait));

            // A bad line: the keys in force stay (new and old), the metric still names the last good file.
            var good = Sha256(file);
            File.WriteAllText(file, "not a key\n");
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(5));
            relay.Sweep();
            Assert.Contains("difenn_relay_server_keys{sha256=\"" + good + "\"} 2", relay.Metrics.Render());
            using var client4 = new UdpClientSocket();
            client4.Send(Mac1.Initiation(newKey), ep);
            Assert.NotNull(client4.Receive(Wait));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public async Task Relay_IdleTimeoutOnFakeClock_SessionExpiresThenReopens()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, time);
        using var client = new UdpClientSocket();
        client.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        Assert.NotNull(client.Receive(Wait));
        time.Advance(TimeSpan.FromSeconds(179));
        Assert.Equal(1, relay.ActiveSessions);
        time.Advance(TimeSpan.FromSeconds(2)); // the sweeper timer fires on the fake clock
        Assert.Equal(0, relay.ActiveSessions);
        Assert.Equal(1, relay.Metrics.Expired);
        client.Send(Packets.Transport(2), relay.LocalEndPoints[0]);
        Assert.NotNull(client.Receive(Wait));
        Assert.Equal(2, relay.Metrics.Opened);
    }

    [Fact]
    public async Task Relay_SessionCap_DropsNewClients()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, configure: o => o with { MaxSessions = 2 });
        var clients = Enumerable.Range(0, 3).Select(_ => new UdpClientSocket()).ToList();
        foreach (var c in clients)
        {
            c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        Assert.NotNull(clients[0].Receive(Wait));
        Assert.NotNull(clients[1].Receive(Wait));
        Assert.Null(clients[2].Receive(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(1, relay.Metrics.Drops(DropReason.SessionCap));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Relay_NewSessionsPerSource_RateLimited()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend, configure: o => o with { NewSessionsPerSecondPerSource = 2 });
        var clients = Enumerable.Range(0, 4).Select(_ => new UdpClientSocket()).ToList(); // same source address 127.0.0.1
        foreach (var c in clients) c.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        await Task.Delay(300);
        Assert.Equal(2, relay.ActiveSessions);
        Assert.Equal(2, relay.Metrics.Drops(DropReason.RateLimited));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Relay_BackendDown_SessionAndRelaySurviveAndRecover()
    {
        var backend = new EchoBackend();
        var port = backend.EndPoint.Port;
        await using var relay = await StartAsync(backend);
        using var client = new UdpClientSocket();
        client.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        Assert.NotNull(client.Receive(Wait));
        backend.Dispose(); // now ICMP port unreachable answers the relay's datagrams
        for (var i = 0; i < 5; i++)
        {
            client.Send(Packets.Transport(10 + i), relay.LocalEndPoints[0]);
            await Task.Delay(50);
        }
        Assert.True(relay.Metrics.Unreachable > 0, "ICMP port unreachable should be counted");
        Assert.Equal(1, relay.ActiveSessions);
        using var again = new EchoBackend(port);
        client.Send(Packets.Transport(99), relay.LocalEndPoints[0]);
        var reply = client.Receive(Wait);
        Assert.Equal(99, Packets.Seq(reply!.Value.Data));
        Assert.Equal(1, relay.Metrics.Opened);
    }

    [Fact]
    public async Task Start_PortInUse_ThrowsAddressInUse()
    {
        using var taken = new UdpClientSocket();
        using var backend = new EchoBackend();
        var engine = new RelayEngine(new RelayOptions { Listen = [taken.EndPoint], BackendHost = "127.0.0.1", BackendPort = backend.EndPoint.Port, Metrics = null }, TimeProvider.System, NullLogger.Instance);
        var ex = await Assert.ThrowsAsync<SocketException>(engine.StartAsync);
        Assert.Equal(SocketError.AddressAlreadyInUse, ex.SocketErrorCode);
    }

    [Fact]
    public async Task Metrics_Render_PrometheusFamilies()
    {
        using var backend = new EchoBackend();
        await using var relay = await StartAsync(backend);
        using var client = new UdpClientSocket();
        client.Send(Packets.Transport(1), relay.LocalEndPoints[0]);
        client.Receive(Wait);
        await using var server = new MetricsServer(new IPEndPoint(IPAddress.Loopback, 0), relay.Metrics.Render, () => relay.IsRunning);
        server.Start();
        var (status, body) = await MetricsServer.GetAsync(server.LocalEndPoint, "/metrics", Wait);
        Assert.Equal(200, status);
        Assert.Contains("difenn_relay_packets_total{listener=\"127.0.0.1:", body);
        Assert.Contains("direction=\"client_to_backend\"} 1", body);
        Assert.Contains("difenn_relay_sessions_active 1", body);
        Assert.Contains("difenn_relay_dropped_total{reason=\"not_wire_guard\"} 0", body);
        Assert.Equal(200, (await MetricsServer.GetAsync(server.LocalEndPoint, "/healthz", Wait)).Status);
        await relay.StopAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(503, (await MetricsServer.GetAsync(server.LocalEndPoint, "/healthz", Wait)).Status);
    }
}

internal static class Mac1
{
    /// <summary>A handshake initiation with a MAC1 valid for <paramref name="serverKey"/> (random body).</summary>
    public static byte[] Initiation(byte[] serverKey)
    {
        var msg = System.Security.Cryptography.RandomNumberGenerator.GetBytes(148);
        msg[0] = 1; msg[1] = msg[2] = msg[3] = 0;
        var keyInput = new byte[40];
        "mac1----"u8.CopyTo(keyInput);
        serverKey.CopyTo(keyInput, 8);
        var mac1Key = new byte[32];
        Difenn.Relay.WireGuard.Blake2s.Hash([], keyInput, mac1Key);
        Difenn.Relay.WireGuard.Blake2s.Hash(mac1Key, msg.AsSpan(0, 116), msg.AsSpan(116, 16));
        return msg;
    }
}
