using Difenn.Operations.Verification;
using Difenn.Testing.Lab;

namespace Difenn.Operations.Tests.Verification;

/// <summary>The runbook's checks against the namespace lab: all pass when deployed, and each breakage is explained.</summary>
public sealed class VerifyLabTests : DeployedLabTest
{
    private async Task<VerifyReport> VerifyAsync()
    {
        await using var shell = Lab.Shell();
        return await new Verifier(shell).VerifyAsync(Lab.Stack(), Lab.Desired());
    }

    private static string Describe(VerifyReport r) => string.Join("\n", r.Checks.Select(c => $"{c.Status} {c.Name}: {c.Detail}"));

    [Fact]
    public async Task Verify_Deployed_EveryCheckPassesAndUplinkAndPortAreNamed()
    {
        var report = await VerifyAsync();

        Assert.True(report.ExitCode == 0, Describe(report));
        Assert.All(report.Checks, c => Assert.Equal(CheckStatus.Pass, c.Status));
        Assert.Contains(report.Checks, c => c.Name == "dns localhost" && c.Detail.Contains("127.0.0.1"));
        Assert.Contains(report.Checks, c => c.Name == "hub2 udp/443 listening" && c.Detail == "held by difenn-relay");
        Assert.Contains(report.Checks, c => c.Name == "ct2914 handshake with xe300" && c.Detail.Contains("s ago"));
        Assert.Contains(report.Checks, c => c.Name == "xe300 ping 10.200.0.1 over the tunnel" && c.Detail.Contains("0% loss"));
        Assert.Contains(report.Checks, c => c.Name == "xe300 keepalive" && c.Detail == "25s");
        Assert.Contains(report.Checks, c => c.Name == "xe300 uplink and port" && c.Detail.StartsWith("ethernet (") && c.Detail.EndsWith("port 51820 (primary)"));
    }

    [Fact]
    public async Task Verify_FirewallRuleDeletedAndRelayDown_FailWithCauseAndFix()
    {
        (await Lab.Hub.ConsoleAsync("ufw delete allow 443/udp >/dev/null\n")).EnsureSuccess("ufw delete");
        (await Lab.Hub.ConsoleAsync($"{Lab.HubDir}/bin/docker rm -f difenn_relay_51820\n")).EnsureSuccess("docker rm");

        var report = await VerifyAsync();

        Assert.Equal(1, report.ExitCode);
        var firewall = Assert.Single(report.Checks, c => c.Name == "hub2 firewall 443/udp");
        Assert.Equal(CheckStatus.Fail, firewall.Status);
        Assert.Equal("ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)' (pulumi up adds it)", firewall.Fix);
        var listening = Assert.Single(report.Checks, c => c.Name == "hub2 udp/51820 listening");
        Assert.Equal(CheckStatus.Fail, listening.Status);
        Assert.Contains("relay container is down", listening.Cause);
        Assert.Contains(report.Checks, c => c is { Name: "hub2 udp/443 listening", Status: CheckStatus.Pass });
    }

    [Fact]
    public async Task Verify_PrimaryPortBlockedHandshakeStillRecent_NamesBlockedPortAndFallbackNotTheHandshake()
    {
        // A carrier starts blocking UDP 51820 (both ways); the last handshake is still recent.
        (await Lab.RouterConsoleAsync("iptables -I OUTPUT -p udp --dport 51820 -j DROP\niptables -I INPUT -p udp --sport 51820 -j DROP\n")).EnsureSuccess("block 51820");

        var report = await VerifyAsync();

        Assert.Equal(1, report.ExitCode);
        Assert.Contains(report.Checks, c => c.Name == "ct2914 handshake with xe300" && c.Status == CheckStatus.Pass);
        var unreachable = Assert.Single(report.Checks, c => c.Name == "xe300 reachable through the tunnel");
        Assert.Equal(CheckStatus.Fail, unreachable.Status);
        Assert.DoesNotContain("see the handshake check", unreachable.Cause);
        Assert.Contains("blocking UDP 51820", unreachable.Cause);
        Assert.Matches(@"ct2914 sent \d+ B to xe300 and received nothing back", unreachable.Cause); // live counters, not a guess
        Assert.Contains("port 443", unreachable.Fix);
    }

    [Fact]
    public async Task Verify_RouterSshRefusedTunnelUp_NamesSshNotThePath()
    {
        // The tunnel works, but SSH on the router refuses (as with dropbear stopped): the refusal comes back through
        // the tunnel, and the server's counters show it.
        (await Lab.RouterConsoleAsync("iptables -I INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset\n")).EnsureSuccess("refuse ssh");

        var report = await VerifyAsync();

        Assert.Equal(1, report.ExitCode);
        var unreachable = Assert.Single(report.Checks, c => c.Name == "xe300 reachable through the tunnel");
        Assert.Equal(CheckStatus.Fail, unreachable.Status);
        Assert.Matches(@"the tunnel carries traffic \(ct2914 received \d+ B from xe300", unreachable.Cause);
        Assert.Contains("dropbear", unreachable.Fix);
        Assert.DoesNotContain("blocking UDP", unreachable.Cause);
    }
}
