using Difenn.Testing.Network;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Difenn.Testing.Processes;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>The difenn-relay executable as operators and Docker run it.</summary>
public class RelayProcessTests
{
    private static Task<ProcessResult> Run(params string[] args)
    {
        var (file, prefix) = RelayProcess.Command();
        return ProcessRunner.RunAsync(file, [.. prefix, .. args], timeout: TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Help_ExplainsWithExample_Exit0()
    {
        var r = await Run("--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("--server-public-key", r.StdOut);
        Assert.Contains("DIFENN_IP", r.StdOut);
        Assert.Contains("Example", r.StdOut);
    }

    [Fact]
    public async Task BadArguments_Exit2WithMessage()
    {
        var r = await Run("--listen", "51820");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--backend", r.StdErr);
    }

    [Fact]
    public async Task PortInUse_Exit1WithClearError()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var r = await Run("--listen", taken.LocalEndPoint!.ToString()!, "--backend", "127.0.0.1:9", "--metrics", "off");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("address already in use", r.StdErr);
    }

    [Fact]
    public async Task Sigterm_DrainsAndExitsWithinASecond()
    {
        using var backend = new EchoBackend();
        var relay = await RelayProcess.StartAsync(["--backend", $"127.0.0.1:{backend.EndPoint.Port}"]);
        using var client = new UdpClientSocket();
        client.Send(Packets.Transport(1), relay.Listen);
        Assert.NotNull(client.Receive(TimeSpan.FromSeconds(3)));
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, (await ProcessRunner.RunAsync("kill", ["-TERM", relay.Process.Id.ToString()])).ExitCode);
        await relay.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(sw.ElapsedMilliseconds < 1000, $"exit took {sw.ElapsedMilliseconds} ms");
        Assert.Equal(0, relay.Process.ExitCode);
        lock (relay.StdErr) Assert.Contains("session opened 127.0.0.1:", relay.StdErr.ToString());
        await relay.DisposeAsync();
    }

    [Fact]
    public async Task Sighup_SavesStateAndKeepsRelaying()
    {
        var dir = Directory.CreateTempSubdirectory("dfn-relay-hup-").FullName;
        try
        {
            var state = Path.Combine(dir, "sessions");
            using var backend = new EchoBackend();
            await using var relay = await RelayProcess.StartAsync(["--backend", $"127.0.0.1:{backend.EndPoint.Port}", "--state-file", state]);
            using var client = new UdpClientSocket();
            client.Send(Packets.Transport(1), relay.Listen);
            Assert.NotNull(client.Receive(TimeSpan.FromSeconds(3)));
            File.Delete(state); // whatever the relay wrote on its own; SIGHUP must write it again
            Assert.Equal(0, (await ProcessRunner.RunAsync("kill", ["-HUP", relay.Process.Id.ToString()])).ExitCode);
            for (var i = 0; i < 50 && !File.Exists(state); i++) await Task.Delay(100);
            Assert.True(File.Exists(state), "SIGHUP did not write the state file: " + relay.StdErr);
            Assert.Contains($" {client.EndPoint} ", File.ReadAllText(state));
            Assert.False(relay.Process.HasExited, "the relay died on SIGHUP");
            client.Send(Packets.Transport(2), relay.Listen);
            Assert.Equal(2, Packets.Seq(client.Receive(TimeSpan.FromSeconds(3))!.Value.Data));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Healthcheck_RunningRelay_Exit0_ElseExit1()
    {
        using var backend = new EchoBackend();
        await using var relay = await RelayProcess.StartAsync(["--backend", $"127.0.0.1:{backend.EndPoint.Port}"]);
        Assert.Equal(0, (await Run("healthcheck", "--metrics", relay.Metrics.ToString())).ExitCode);
        Assert.Equal(1, (await Run("healthcheck", "--metrics", $"127.0.0.1:{FreePorts.Tcp()}")).ExitCode);
    }
}
