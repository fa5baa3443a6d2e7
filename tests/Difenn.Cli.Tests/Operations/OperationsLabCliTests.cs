using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Lab;
using Xunit.Abstractions;

namespace Difenn.Cli.Tests.Operations;

/// <summary>The operators' three commands, as they run them, against the namespace lab.</summary>
public sealed class OperationsLabCliTests(ITestOutputHelper output) : DeployedLabTest
{
    private CliRunner.Result Run(params string[] args) => CliRunner.RunAgainstLab(Lab, output, args);

    [Fact]
    public async Task DriftVerifyRotate_AsOperatorsRunThem_ExitCodesTablesAndJson()
    {
        // px3 named as the runbook's `ssh px3` does: an alias in the SSH client config.
        File.WriteAllText(Lab.SshConfigPath, $"Host px3\n    HostName 127.0.0.1\n    Port {Lab.Px3.LoopbackPort}\n");
        File.WriteAllText(Lab.StackPath, File.ReadAllText(Lab.StackPath).Replace($"host: 127.0.0.1\n    port: {Lab.Px3.LoopbackPort}\n", "host: px3\n"));
        Assert.Contains("host: px3", File.ReadAllText(Lab.StackPath));

        var inSync = Run("drift");
        Assert.Equal(0, inSync.ExitCode);
        Assert.Contains("in sync:", inSync.Out);

        var verify = Run("verify", "--json");
        Assert.Equal(0, verify.ExitCode);
        Assert.True(JsonDocument.Parse(verify.Out).RootElement.GetProperty("ok").GetBoolean());

        (await Lab.Hub.ConsoleAsync("ufw delete allow 443/udp >/dev/null\n")).EnsureSuccess("ufw delete");
        var drift = Run("drift");
        Assert.Equal(2, drift.ExitCode);
        Assert.Matches(@"hub2\s+ufw 443/udp\s+allow # Difenn WireGuard relay for LTE \(port 443\)\s+absent\s+MISSING", drift.Out);
        Assert.Contains("DRIFT: 1 item(s) differ", drift.Out);
        var failing = Run("verify");
        Assert.Equal(1, failing.ExitCode);
        Assert.Contains("fix: ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)'", failing.Out);
        (await Lab.Hub.ConsoleAsync("ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)' >/dev/null\n")).EnsureSuccess("ufw allow");

        var oldRouterKey = Lab.RouterKey.PublicKey.ToBase64();
        var rotate = Run("rotate", "peer", "xe300");
        Assert.Equal(0, rotate.ExitCode);
        Assert.Contains("rotated xe300PrivateKey", rotate.Out);
        Assert.Contains("xe300: new config; handshake confirmed", rotate.Out);
        Assert.DoesNotContain(oldRouterKey, File.ReadAllText(Lab.StackPath));
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(Lab.SecretsDir, "xe300PrivateKey")).Trim(), rotate.Out + rotate.Err);

        var after = Run("drift", "--json");
        Assert.Equal(0, after.ExitCode);
    }
}
