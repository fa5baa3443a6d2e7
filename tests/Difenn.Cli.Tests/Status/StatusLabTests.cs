using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Lab;
using Xunit.Abstractions;

namespace Difenn.Cli.Tests.Status;

/// <summary>`difenn status` against the namespace lab: the real relay's metrics and sockets, the real server's wg.</summary>
public sealed class StatusLabTests(ITestOutputHelper output) : DeployedLabTest
{
    private CliRunner.Result Status(params string[] args)
    {
        var r = CliRunner.Run(["status", .. args, .. Lab.CliArgs]);
        output.WriteLine($"$ difenn status {string.Join(' ', args)}  (exit {r.ExitCode})\n{r.Err}{r.Out}");
        foreach (var secret in new[] { Lab.ServerKey.RevealBase64(), Lab.RouterKey.RevealBase64() })
            Assert.DoesNotContain(secret, r.Out + r.Err);
        return r;
    }

    [Fact]
    public async Task Status_RouterOnPrimaryThenFallbackThenHubUnreachable_OneScreenEachTime()
    {
        var r = Status();
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"xe300\s+10\.200\.0\.2\s+\d+s ago\s+10\.44\.1\.1:\d+\s+relay :51820 \(primary\)\s+\S+ \S+ / \S+ \S+\s+25s", r.Out);
        Assert.Matches(@"relay  :51820 \(primary\)  1 session\(s\)", r.Out);
        Assert.Matches(@"relay  :443 \(fallback\)  0 session\(s\)", r.Out);
        Assert.Contains("dns    localhost → 127.0.0.1", r.Out);
        Assert.Contains("hub2: reading over SSH", r.Err);
        Assert.Contains("ct2914: read", r.Err);

        // The router falls back to 443 (as on a carrier that blocks 51820): a fresh handshake through the other listener.
        (await Lab.Router.ConsoleAsync("set -e\nwg showconf wg_difenn | sed 's/^Endpoint = \\(.*\\):51820$/Endpoint = \\1:443/' > /tmp/dfn-wg.conf\nwg setconf wg_difenn /tmp/dfn-wg.conf\nrm -f /tmp/dfn-wg.conf\nping -c 1 -W 5 10.200.0.1 >/dev/null || true\n"))
            .EnsureSuccess("router to 443");
        Assert.True(await Lab.WaitForHandshakeAsync(TimeSpan.FromSeconds(20), DateTimeOffset.UtcNow.AddSeconds(-3)));
        var json = Status("--json");
        Assert.Equal(0, json.ExitCode);
        var doc = JsonDocument.Parse(json.Out).RootElement;
        var xe300 = doc.GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "xe300");
        Assert.Equal(443, xe300.GetProperty("relayPort").GetInt32());
        Assert.Equal("fallback", xe300.GetProperty("relayPortRole").GetString());
        Assert.True(xe300.GetProperty("handshakeAgeSeconds").GetInt64() < 60);
        Assert.Equal(1, doc.GetProperty("relay").EnumerateArray().Single(l => l.GetProperty("port").GetInt32() == 443).GetProperty("activeSessions").GetInt64());

        // hub2 unreachable: said so, exit 1, and the server's view is still listed.
        File.WriteAllText(Lab.StackPath, File.ReadAllText(Lab.StackPath).Replace($"port: {Lab.Hub.LoopbackPort}\n", $"port: {Testing.Network.FreePorts.Tcp()}\n"));
        var down = Status();
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("hub2: UNREACHABLE", down.Out);
        Assert.Contains("relay  :51820 (primary)  metrics not readable (hub unreachable)", down.Out);
        Assert.Matches(@"xe300\s+10\.200\.0\.2\s+\d+s ago\s+10\.44\.1\.1:\d+\s+\?", down.Out);
    }
}
