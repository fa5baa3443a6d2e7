using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying;
using Difenn.Testing.Network;
using Microsoft.Extensions.Logging.Abstractions;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>
/// A relay restarted with <c>--state-file</c> keeps its sessions: on loopback, in-process, with the MAC1 gate on
/// (the production setting, where a lost session cuts an idle client off until its next handshake).
/// </summary>
public sealed class RelayRestartTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);
    private readonly string _dir = Directory.CreateTempSubdirectory("dfn-relay-state-").FullName;
    private readonly byte[] _serverKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
    private readonly EchoBackend _backend = new();
    private readonly int _port = FreePorts.Udp(IPAddress.Loopback);

    private string StateFile => Path.Combine(_dir, "sessions");

    private RelayOptions Options(bool withState = true, IPEndPoint? listen = null) => new()
    {
        Listen = [listen ?? new IPEndPoint(IPAddress.Loopback, _port)],
        BackendHost = "127.0.0.1",
        BackendPort = _backend.EndPoint.Port,
        ServerPublicKeys = [_serverKey],
        Metrics = null,
        StateFile = withState ? StateFile : null,
    };

    private static async Task<RelayEngine> StartAsync(RelayOptions options)
    {
        var engine = new RelayEngine(options, TimeProvider.System, NullLogger.Instance);
        await engine.StartAsync();
        return engine;
    }


    /// <summary>Opens a session the only way the gate allows (a MAC1-valid initiation), then sends data; returns the upstream endpoint the backend saw.</summary>
    private IPEndPoint OpenSession(UdpClientSocket client, IPEndPoint relay)
    {
        client.Send(Mac1.Initiation(_serverKey), relay);
        Assert.NotNull(client.Receive(Wait));
        client.Send(Packets.Transport(1), relay);
        Assert.Equal(1, Packets.Seq(client.Receive(Wait)!.Value.Data));
        lock (_backend.Sources) return IPEndPoint.Parse(_backend.Sources[^1]);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")] // a restored IPv6 client must be found by the address recvmmsg reports, byte for byte
    public async Task Restart_WithStateFile_SessionContinuesOnSameUpstreamEndpoint(string loopback)
    {
        var address = IPAddress.Parse(loopback);
        var listen = new IPEndPoint(address, FreePorts.Udp(address));
        using var client = new UdpClientSocket(address);
        var first = await StartAsync(Options(listen: listen));
        var relayEp = first.LocalEndPoints[0];
        var upstream = OpenSession(client, relayEp);
        await first.StopAsync(Wait);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(StateFile));
        Assert.Contains(client.EndPoint.ToString(), File.ReadAllText(StateFile));

        await using var second = await StartAsync(Options(listen: listen));
        Assert.Equal(1, second.ActiveSessions);
        Assert.Equal(1, second.Metrics.Restored);

        // The backend speaks first (a server keepalive) to the endpoint it knew: it reaches the client from the relay's port.
        _backend.SendTo(Packets.Transport(50), upstream);
        var unprompted = client.Receive(Wait);
        Assert.NotNull(unprompted);
        Assert.Equal(50, Packets.Seq(unprompted.Value.Data));
        Assert.Equal(relayEp, unprompted.Value.From);

        // The client's data passes the gate without a new initiation, from the same upstream endpoint.
        client.Send(Packets.Transport(2), relayEp);
        Assert.Equal(2, Packets.Seq(client.Receive(Wait)!.Value.Data));
        lock (_backend.Sources) Assert.Equal(upstream.ToString(), _backend.Sources[^1]);
        Assert.Equal(0, second.Metrics.Drops(DropReason.NoSession));
        Assert.Equal(0, second.Metrics.Opened);
    }

    [Fact]
    public async Task Restart_WithoutStateFile_DataDroppedUntilNewInitiation()
    {
        using var client = new UdpClientSocket();
        var first = await StartAsync(Options(withState: false));
        OpenSession(client, first.LocalEndPoints[0]);
        await first.StopAsync(Wait);

        await using var second = await StartAsync(Options(withState: false));
        client.Send(Packets.Transport(2), second.LocalEndPoints[0]);
        Assert.Null(client.Receive(TimeSpan.FromMilliseconds(300)));
        Assert.True(SpinWait.SpinUntil(() => second.Metrics.Drops(DropReason.NoSession) == 1, Wait));
        Assert.False(File.Exists(StateFile));
    }

    [Fact]
    public async Task Restart_OldUpstreamPortTaken_SessionRestoredOnNewPort()
    {
        using var client = new UdpClientSocket();
        var first = await StartAsync(Options());
        var upstream = OpenSession(client, first.LocalEndPoints[0]);
        await first.StopAsync(Wait);
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Any, upstream.Port));

        await using var second = await StartAsync(Options());
        Assert.Equal(1, second.ActiveSessions);
        client.Send(Packets.Transport(3), second.LocalEndPoints[0]);
        Assert.Equal(3, Packets.Seq(client.Receive(Wait)!.Value.Data));
        lock (_backend.Sources) Assert.NotEqual(upstream.Port, IPEndPoint.Parse(_backend.Sources[^1]).Port);
    }

    [Fact]
    public async Task Running_StateFileFollowsTheTableWithoutAStop()
    {
        // A crash (SIGKILL, OOM) never reaches StopAsync: the sweeper writes the file once a second after a change.
        using var client = new UdpClientSocket();
        await using var relay = await StartAsync(Options());
        OpenSession(client, relay.LocalEndPoints[0]);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(StateFile) && File.ReadAllText(StateFile).Contains(client.EndPoint.ToString()), Wait),
            File.Exists(StateFile) ? File.ReadAllText(StateFile) : "no state file");
        Assert.Empty(Directory.GetFiles(_dir, ".*")); // no temporary file left behind
    }

    [Fact]
    public async Task Restore_SkipsExpiredOtherListenerAndBadLines_KeepsTheRest()
    {
        var now = DateTimeOffset.UtcNow;
        File.WriteAllLines(StateFile,
        [
            "# difenn-relay sessions v1",
            $"127.0.0.1:{_port} 127.0.0.1:40001 0 {now.ToUnixTimeMilliseconds()}",                       // bad port
            $"127.0.0.1:{_port} 127.0.0.1:40002 41002 {now.AddSeconds(-200).ToUnixTimeMilliseconds()}", // idle past 180 s
            $"127.0.0.1:1 127.0.0.1:40003 41003 {now.ToUnixTimeMilliseconds()}",                          // not listened on
            "garbage",
            $"127.0.0.1:{_port} 127.0.0.1:40004 41004 {now.AddSeconds(-30).ToUnixTimeMilliseconds()}",   // kept
        ]);
        await using var relay = await StartAsync(Options());
        Assert.Equal(1, relay.ActiveSessions);
        Assert.Equal(1, relay.Metrics.Restored);
    }

    public void Dispose()
    {
        _backend.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
