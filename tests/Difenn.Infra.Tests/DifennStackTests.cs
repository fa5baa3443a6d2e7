using System.Collections.Immutable;
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

    private static async Task<Dictionary<string, RemoteCommand>> Commands(IDictionary<string, string?>? config = null)
    {
        var run = await ProgramUnderTest.RunAsync(config);
        return run.Resources.OfType<RemoteCommand>().ToDictionary(c => c.GetResourceName());
    }

    [Fact]
    public async Task Program_Prod_DeclaresComponentsAndResourcesNamedOnce()
    {
        var (resources, outputs, _) = await ProgramUnderTest.RunAsync();
        Assert.Single(resources.OfType<DnsEndpoint>());
        Assert.Single(resources.OfType<HubRelay>());
        Assert.Single(resources.OfType<WireGuardServer>());
        Assert.Single(resources.OfType<OpenWrtPeer>());
        Assert.Single(resources.OfType<DnsRecord>());
        Assert.Equal(["hub2-relay-image", "hub2-firewall", "hub2-legacy-socat", "hub2-relay", "ct2914-wg0", "xe300-wg_difenn"],
            resources.OfType<RemoteCommand>().Select(c => c.GetResourceName()));
        Assert.Equal(["hub2-relay-binary", "hub2-relay-dockerfile"], resources.OfType<Pulumi.Command.Remote.CopyToRemote>().Select(c => c.GetResourceName()));
        Assert.Equal(["hub2-firewall", "hub2-legacy-socat", "hub2-relay", "ct2914-wg0", "xe300-wg_difenn"], (List<string>)outputs["commands"]!);
    }

    [Fact]
    public async Task DnsRecordMustNotBeProxied_ZoneIdLookedUpByZoneName()
    {
        var (resources, _, mocks) = await ProgramUnderTest.RunAsync();
        var record = Assert.Single(resources.OfType<DnsRecord>());
        Assert.False(await Value(record.Proxied));
        Assert.Equal(300, await Value(record.Ttl));
        Assert.Equal("wg.trevarn.com", await Value(record.Name));
        Assert.Equal("A", await Value(record.Type));
        Assert.Equal("51.68.235.106", await Value(record.Content));
        Assert.Equal(Mocks.LookedUpZoneId, await Value(record.ZoneId));
        var call = Assert.Single(mocks.Calls, c => c.Token == "cloudflare:index/getZone:getZone");
        Assert.Equal("trevarn.com", ((ImmutableDictionary<string, object>)call.Args["filter"])["name"]);
    }

    [Fact]
    public async Task ZoneIdInConfig_OverridesTheLookup()
    {
        var (resources, _, mocks) = await ProgramUnderTest.RunAsync(new Dictionary<string, string?> { ["difenn-infra:cloudflareZoneId"] = "zone-id-from-config" });
        Assert.Equal("zone-id-from-config", await Value(Assert.Single(resources.OfType<DnsRecord>()).ZoneId));
        Assert.DoesNotContain(mocks.Calls, c => c.Token == "cloudflare:index/getZone:getZone");
    }

    [Fact]
    public void ProdStackFile_HasNoPlaceholderToEditByHand()
    {
        var text = File.ReadAllText(Path.Combine(ProgramUnderTest.RepoRoot(), "Pulumi.prod.yaml"));
        Assert.DoesNotContain("REPLACE", text);
        Assert.DoesNotContain("cloudflareZoneId:", text);
    }

    [Fact]
    public async Task FirewallMustOnlyOpenRelayPorts()
    {
        var firewall = (await Commands())["hub2-firewall"];
        var script = await Value(firewall.Stdin);
        var rules = script!.Split('\n').Where(l => l.StartsWith("ufw ")).ToList();
        Assert.Equal(["ufw allow 51820/udp comment 'Difenn WireGuard relay for CT2914'", "ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)'"], rules);
        var delete = await Value(firewall.Delete);
        Assert.DoesNotContain("reset", delete);
    }

    [Fact]
    public async Task SecretsStaySecret()
    {
        // The mock monitor drops the secret flag of inputs and ignores AdditionalSecretOutputs (the engine applies
        // them), so secrecy is tested where it is decided: the outputs SecretValues builds, and the options passed.
        var run = await ProgramUnderTest.RunAsync();
        var commands = run.Resources.OfType<RemoteCommand>().ToDictionary(c => c.GetResourceName());
        var options = run.Resources.OfType<HostComponent>().SelectMany(h => h.ResourceOptions).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Contains($"PrivateKey = {ProgramUnderTest.ServerKey}", await Value(commands["ct2914-wg0"].Stdin));
        foreach (var name in new[] { "ct2914-wg0", "xe300-wg_difenn" })
        {
            Assert.Equal(["stdin", "stdout", "stderr"], options[name].AdditionalSecretOutputs);
            Assert.Equal(Pulumi.Command.Remote.Logging.None, await Value(commands[name].Logging));
        }
        // scripts without secrets are not needlessly hidden
        Assert.Empty(options["hub2-firewall"].AdditionalSecretOutputs);

        // What SecretValues returns for a script with a secret is a secret output; one without is plain.
        var secrets = new SecretValues(new Dictionary<string, Output<string>> { ["k"] = Output.CreateSecret(ProgramUnderTest.ServerKey) });
        var secretScript = Difenn.Topology.Secrets.SecretText.FromTemplate("a " + Difenn.Topology.Secrets.SecretText.Marker("k") + " b");
        Assert.True(await Output.IsSecretAsync(secrets.Reveal(secretScript)));
        Assert.Equal($"a {ProgramUnderTest.ServerKey} b", await Value(secrets.Reveal(secretScript)));
        Assert.False(await Output.IsSecretAsync(secrets.Reveal(Difenn.Topology.Secrets.SecretText.Plain("plain"))));

        // No key reaches any input other than the stdin of a command declared secret (and the connection's
        // privateKey, which the provider's schema marks secret), as the monitor received them.
        var keys = new[] { ProgramUnderTest.ServerKey, ProgramUnderTest.Xe300Key, ProgramUnderTest.SshKey.Split('\n')[1] };
        foreach (var r in run.Mocks.Resources)
            foreach (var (input, value) in r.Inputs)
            {
                var text = System.Text.Json.JsonSerializer.Serialize(value);
                if (!keys.Any(text.Contains)) continue;
                if (input == "connection")
                {
                    Assert.DoesNotContain(ProgramUnderTest.ServerKey, text);
                    Assert.DoesNotContain(ProgramUnderTest.Xe300Key, text);
                    continue;
                }
                Assert.True(input == "stdin" && options.TryGetValue(r.Name, out var o) && o.AdditionalSecretOutputs.Contains("stdin"),
                    $"a key reached input '{input}' of {r.Type} {r.Name}");
            }
    }

    [Fact]
    public async Task CommandsReachHostsTheRunbooksWay_AliasResolvedAsTheCliDoes()
    {
        var commands = await Commands();
        Assert.StartsWith("sh -s #", await Value(commands["hub2-relay"].Create));
        Assert.StartsWith("pct exec 2914 -- sh -s #", await Value(commands["ct2914-wg0"].Create));
        Assert.StartsWith("pct exec 2914 -- ssh", await Value(commands["xe300-wg_difenn"].Create));
        var hub = (await Value(commands["hub2-relay"].Connection))!;
        Assert.Equal(("51.68.235.106", 22.0, "root"), (hub.Host, hub.Port, hub.User));
        // px3 is an ssh_config alias: the provider reads no ssh_config, so it gets HostName and Port.
        var px3 = (await Value(commands["ct2914-wg0"].Connection))!;
        Assert.Equal((ProgramUnderTest.Px3Address, 2222.0, "root"), (px3.Host, px3.Port, px3.User));
    }

    [Fact]
    public async Task EveryConnection_CarriesThePinnedHostKey()
    {
        foreach (var (name, c) in await Commands())
        {
            var connection = (await Value(c.Connection))!;
            Assert.Equal(name.StartsWith("hub2") ? ProgramUnderTest.HubHostKey : ProgramUnderTest.Px3HostKey, connection.HostKey);
            Assert.Null(connection.Proxy);
        }
    }

    [Fact]
    public async Task HostKeysPinnedInTheStack_WinOverKnownHosts()
    {
        var pinned = HostKeys.Ed25519();
        var stack = ProgramUnderTest.Write("prod.yaml", ProgramUnderTest.ProdStackText()
            .Replace("    host: 51.68.235.106\n    user: root\n", $"    host: 51.68.235.106\n    user: root\n    hostKeys: [\"{HostKeys.Ecdsa256()}\", \"{pinned}\"]\n"));
        var run = await ProgramUnderTest.RunAsync(stackFile: stack);
        var firewall = run.Resources.OfType<RemoteCommand>().Single(c => c.GetResourceName() == "hub2-firewall");
        Assert.Equal(pinned, (await Value(firewall.Connection))!.HostKey);
    }

    [Fact]
    public async Task HostWithoutKey_FailsBeforeAnyResourceIsDeclared_NamingHostFingerprintCommandAndWhereToPin()
    {
        var knownHosts = ProgramUnderTest.Write("known_hosts", $"51.68.235.106 {ProgramUnderTest.HubHostKey}\n");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => ProgramUnderTest.RunAsync(new Dictionary<string, string?> { ["difenn-infra:knownHosts"] = knownHosts }));
        var message = e.ToString();
        Assert.Contains("ct2914: no host key for 192.0.2.14:2222 (px3 in ssh_config)", message);
        Assert.Contains("ssh-keyscan -p 2222 192.0.2.14 | ssh-keygen -lf -", message);
        Assert.Contains("proxmox.ssh.hostKeys", message);
        Assert.Contains(knownHosts, message);
    }

    [Fact]
    public async Task HostWithoutKey_NothingDeclared()
    {
        var mocks = new Mocks();
        await Assert.ThrowsAnyAsync<Exception>(() => ProgramUnderTest.RunAsync(new Dictionary<string, string?> { ["difenn-infra:knownHosts"] = ProgramUnderTest.Write("known_hosts", "") }, mocks: mocks));
        Assert.DoesNotContain(mocks.Resources, r => r.Type != "pulumi:pulumi:Stack");
        Assert.Empty(mocks.Calls);
    }

    [Fact]
    public async Task NoEnvironment_NoPreviousOutputInEnv_NoTriggers_ScriptHashInTheCommandText()
    {
        var a = await Commands();
        var b = await Commands();
        foreach (var (name, c) in a)
        {
            Assert.Empty((IEnumerable<KeyValuePair<string, string>>?)await Value(c.Environment) ?? []);
            Assert.False(await Value(c.AddPreviousOutputInEnv));
            Assert.True((await Value(c.Triggers)).IsDefaultOrEmpty);
            var create = await Value(c.Create);
            Assert.Equal(create, await Value(c.Update));
            Assert.Matches(" # (difenn script|binary) sha256:[0-9a-f]{64}$", create);
            // Same stack, same inputs: an unchanged host is not touched.
            Assert.Equal(create, await Value(b[name].Create));
            Assert.Equal(await Value(c.Stdin), await Value(b[name].Stdin));
        }
    }

    [Fact]
    public async Task RelayImage_TaggedByBinaryContent_BuiltOnTheHubFromARuntimeOnlyDockerfile_ComposeNamesTheTag()
    {
        var run = await ProgramUnderTest.RunAsync();
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ProgramUnderTest.RelayBinary))).ToLowerInvariant();
        var tag = $"difenn-relay:sha256-{hash[..16]}";
        Assert.Equal(tag, run.Outputs["relayImage"]);
        var commands = run.Resources.OfType<RemoteCommand>().ToDictionary(c => c.GetResourceName());
        Assert.Equal($"docker build -q -t {tag} /opt/difenn-relay/image # binary sha256:{hash}", await Value(commands["hub2-relay-image"].Create));
        var compose = await Value(commands["hub2-relay"].Stdin);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(compose, $"    image: {System.Text.RegularExpressions.Regex.Escape(tag)}\n").Count);
        Assert.DoesNotContain("0.1.0", compose);
        var copies = run.Resources.OfType<Pulumi.Command.Remote.CopyToRemote>().ToDictionary(c => c.GetResourceName());
        Assert.Equal("/opt/difenn-relay/image/difenn-relay", await Value(copies["hub2-relay-binary"].RemotePath));
        Assert.Equal("/opt/difenn-relay/image/Dockerfile", await Value(copies["hub2-relay-dockerfile"].RemotePath));
        // Runtime only: nothing is compiled on the hub.
        Assert.Single(RelayImage.Dockerfile.Split('\n'), l => l.StartsWith("FROM "));
        Assert.DoesNotContain("dotnet publish", RelayImage.Dockerfile);
        var options = run.Resources.OfType<HostComponent>().SelectMany(h => h.ResourceOptions).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(["hub2-relay-binary", "hub2-relay-dockerfile"], ((Pulumi.Utilities.OutputUtilities.GetValueAsync(((Input<System.Collections.Immutable.ImmutableArray<Resource>>)options["hub2-relay-image"].DependsOn).Apply(a => a))).Result).Select(r => r.GetResourceName()));
    }

    [Fact]
    public async Task RelayBinaryChanged_ChangesOnlyTheCopyTheBuildAndTheRelayCommand()
    {
        var a = await ProgramUnderTest.RunAsync();
        var other = ProgramUnderTest.WriteBytes("difenn-relay", [.. File.ReadAllBytes(ProgramUnderTest.RelayBinary), 0]);
        var b = await ProgramUnderTest.RunAsync(new Dictionary<string, string?> { ["difenn-infra:relayBinary"] = other });
        static Dictionary<string, string> Inputs(ProgramRun r) => r.Mocks.Resources.Where(x => x.Type!.StartsWith("command:"))
            .ToDictionary(x => x.Name!, x => System.Text.Json.JsonSerializer.Serialize(x.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value is AssetOrArchive ? (object)"asset" : kv.Value)));
        var before = Inputs(a);
        var after = Inputs(b);
        var changed = before.Keys.Where(k => before[k] != after[k]).ToList();
        Assert.Equal(["hub2-relay", "hub2-relay-image"], changed.Order());
        var copyA = a.Resources.OfType<Pulumi.Command.Remote.CopyToRemote>().Single(c => c.GetResourceName() == "hub2-relay-binary");
        var copyB = b.Resources.OfType<Pulumi.Command.Remote.CopyToRemote>().Single(c => c.GetResourceName() == "hub2-relay-binary");
        Assert.NotEqual(await Value(copyA.Source), await Value(copyB.Source));
    }
}
