using Difenn.Infra.Components;
using Pulumi;
using Pulumi.Cloudflare;
using Pulumi.Utilities;
using RemoteCommand = Pulumi.Command.Remote.Command;

namespace Difenn.Infra.Tests;

/// <summary>Policy-style tests of the Pulumi program, run with Pulumi's mocks.</summary>
[Collection("pulumi")] // the Pulumi deployment is process-global: one at a time
public class DifennStackTests
{
    private static async Task<T> Value<T>(Output<T> o) => await OutputUtilities.GetValueAsync(o);

    private static async Task<Dictionary<string, RemoteCommand>> Commands()
    {
        var (resources, _) = await ProgramUnderTest.RunAsync();
        return resources.OfType<RemoteCommand>().ToDictionary(c => c.GetResourceName());
    }

    [Fact]
    public async Task Program_Prod_DeclaresComponentsAndResources()
    {
        var (resources, outputs) = await ProgramUnderTest.RunAsync();
        Assert.Single(resources.OfType<DnsEndpoint>());
        Assert.Single(resources.OfType<HubRelay>());
        Assert.Single(resources.OfType<WireGuardServer>());
        Assert.Single(resources.OfType<OpenWrtPeer>());
        Assert.Single(resources.OfType<DnsRecord>());
        Assert.Equal(["hub2-hub2-firewall", "hub2-hub2-legacy-socat", "hub2-hub2-relay", "ct2914-ct2914-wg0", "xe300-xe300-wg_difenn"],
            resources.OfType<RemoteCommand>().Select(c => c.GetResourceName()));
        Assert.Equal(["hub2-firewall", "hub2-legacy-socat", "hub2-relay", "ct2914-wg0", "xe300-wg_difenn"], (List<string>)outputs["commands"]!);
    }

    [Fact]
    public async Task DnsRecordMustNotBeProxied()
    {
        var (resources, _) = await ProgramUnderTest.RunAsync();
        var record = Assert.Single(resources.OfType<DnsRecord>());
        Assert.False(await Value(record.Proxied));
        Assert.Equal(300, await Value(record.Ttl));
        Assert.Equal("wg.trevarn.com", await Value(record.Name));
        Assert.Equal("A", await Value(record.Type));
        Assert.Equal("51.68.235.106", await Value(record.Content));
        Assert.Equal("zone-id-for-tests", await Value(record.ZoneId));
    }

    [Fact]
    public async Task FirewallMustOnlyOpenRelayPorts()
    {
        var firewall = (await Commands())["hub2-hub2-firewall"];
        var script = await Value(firewall.Stdin);
        var rules = script!.Split('\n').Where(l => l.StartsWith("ufw ")).ToList();
        Assert.Equal(["ufw allow 51820/udp comment 'Difenn WireGuard relay for CT2914'", "ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)'"], rules);
        var delete = await Value(firewall.Delete);
        Assert.DoesNotContain("reset", delete);
    }

    [Fact]
    public async Task SecretsStaySecret()
    {
        var commands = await Commands();
        var server = commands["ct2914-ct2914-wg0"];
        Assert.True(await Output.IsSecretAsync(server.Stdin));
        Assert.Contains($"PrivateKey = {ProgramUnderTest.ServerKey}", await Value(server.Stdin));
        Assert.True(await Output.IsSecretAsync(commands["xe300-xe300-wg_difenn"].Stdin));
        // scripts without secrets are not needlessly hidden, and never carry a key
        Assert.False(await Output.IsSecretAsync(commands["hub2-hub2-firewall"].Stdin));
        foreach (var c in commands.Values)
        {
            Assert.DoesNotContain(ProgramUnderTest.ServerKey, await Value(c.Create) ?? "");
            Assert.DoesNotContain(ProgramUnderTest.ServerKey, await Value(c.Delete) ?? "");
        }
    }

    [Fact]
    public async Task CommandsReachHostsTheRunbooksWay()
    {
        var commands = await Commands();
        Assert.Equal("sh -s", await Value(commands["hub2-hub2-relay"].Create));
        Assert.Equal("pct exec 2914 -- sh -s", await Value(commands["ct2914-ct2914-wg0"].Create));
        Assert.StartsWith("pct exec 2914 -- ssh", await Value(commands["xe300-xe300-wg_difenn"].Create));
        var hubConnection = await Value(commands["hub2-hub2-relay"].Connection);
        Assert.Equal("51.68.235.106", hubConnection!.Host);
        Assert.Equal("px3", (await Value(commands["ct2914-ct2914-wg0"].Connection))!.Host);
    }

    [Fact]
    public async Task UnchangedHostIsNotTouched_ScriptHashInEnvironment()
    {
        var a = await Value((await Commands())["ct2914-ct2914-wg0"].Environment);
        var b = await Value((await Commands())["ct2914-ct2914-wg0"].Environment);
        Assert.Equal(a!["DIFENN_SCRIPT_SHA256"], b!["DIFENN_SCRIPT_SHA256"]);
        Assert.Equal(64, a["DIFENN_SCRIPT_SHA256"].Length);
    }
}
