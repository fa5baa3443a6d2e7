using Difenn.Testing.Processes;

namespace Difenn.Relay.Tests.EndToEnd;

/// <summary>A real WireGuard tunnel (wireguard-go at both ends) through difenn-relay, in network namespaces.</summary>
public class RelayTunnelTests
{
    [Theory]
    [InlineData(51820)]
    [InlineData(443)]
    public async Task Tunnel_ThroughRelay_PingAndTcpTransfer(int port)
    {
        await using var lab = await TunnelLab.CreateAsync(port);
        await lab.StartRelayAsync();
        Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(15)), "no ping through the relay: " + lab.RelayLog);

        // A TCP transfer of 8 MiB through the tunnel, checked byte for byte by size and checksum.
        var server = lab.ServerNs.RunAsync("sh", ["-c", "timeout 30 socat -u TCP-LISTEN:5001,reuseaddr SYSTEM:'sha256sum'"], timeout: TimeSpan.FromSeconds(40));
        await Task.Delay(500);
        var send = await lab.Client.RunAsync("sh", ["-c", "head -c 8388608 /dev/urandom | tee /tmp/dfn-e2e-$$ | socat -u - TCP:10.200.0.1:5001 && sha256sum < /tmp/dfn-e2e-$$; rm -f /tmp/dfn-e2e-$$"], timeout: TimeSpan.FromSeconds(40));
        Assert.Equal(0, send.ExitCode);
        var received = await server;
        Assert.Equal(send.StdOut.Trim(), received.StdOut.Trim());
        Assert.Contains($":{port}", lab.RelayLog.ToString());
    }

    [Fact]
    public async Task Tunnel_ClientSourcePortChanges_TrafficContinues()
    {
        await using var lab = await TunnelLab.CreateAsync(51820);
        await lab.StartRelayAsync();
        Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(15)), "no initial ping: " + lab.RelayLog);
        // NAT rebinding / LTE roaming: the client's source port changes mid-tunnel.
        await lab.Client.ExecAsync("wg", "set", lab.ClientWg.Name, "listen-port", "40001");
        Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(20)), "tunnel did not continue after the port change: " + lab.RelayLog);
        var log = lab.RelayLog.ToString();
        Assert.Contains("session opened 10.0.1.1:40000", log);
        Assert.Contains("session opened 10.0.1.1:40001", log);
    }

    [Fact]
    public async Task Tunnel_RelayRestarts_RecoversByItself()
    {
        await using var lab = await TunnelLab.CreateAsync(443);
        await lab.StartRelayAsync();
        Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(15)), "no initial ping: " + lab.RelayLog);
        await lab.StopRelayAsync();
        Assert.False(await lab.PingAsync(TimeSpan.FromSeconds(2)), "ping should fail while the relay is down");
        await lab.StartRelayAsync();
        // With MAC1 gating, data from the old session is dropped until WireGuard re-handshakes by itself
        // (keepalive unanswered → new initiation after ~15 s): no operator action.
        Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(40)), "tunnel did not recover after the relay restart: " + lab.RelayLog);
    }

    [Fact]
    public async Task Tunnel_RelayRestartsWithStateFile_ContinuesWithoutNewHandshake()
    {
        var dir = Directory.CreateTempSubdirectory("dfn-e2e-state-").FullName;
        try
        {
            await using var lab = await TunnelLab.CreateAsync(51820);
            var state = Path.Combine(dir, "sessions");
            await lab.StartRelayAsync(state);
            Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(15)), "no initial ping: " + lab.RelayLog);
            var handshake = await lab.ServerNs.ExecAsync("wg", "show", lab.ServerWg.Name, "latest-handshakes");
            var endpoint = await lab.ServerNs.ExecAsync("wg", "show", lab.ServerWg.Name, "endpoints");

            await lab.StopRelayAsync(graceful: true); // as `docker stop` / a compose recreate does
            await lab.StartRelayAsync(state);

            // Without the state file the gate drops the old session's data until a new handshake (about 15 s here,
            // up to 2 minutes on an idle tunnel): with it, the same session carries on at once.
            Assert.True(await lab.PingAsync(TimeSpan.FromSeconds(3)), "tunnel did not continue through the restarted relay: " + lab.RelayLog);
            Assert.Equal(handshake, await lab.ServerNs.ExecAsync("wg", "show", lab.ServerWg.Name, "latest-handshakes"));
            Assert.Equal(endpoint, await lab.ServerNs.ExecAsync("wg", "show", lab.ServerWg.Name, "endpoints")); // same upstream port
            Assert.Contains("restored 1 sessions", lab.RelayLog.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
