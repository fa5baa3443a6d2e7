using System.Text.Json;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;

namespace Difenn.Topology.Tests.Desired;

public class DesiredStateTests
{
    private static DesiredState Prod() => DesiredStateBuilder.Build(StackLoader.Load(StackFiles.ProdPath).Stack!);

    [Fact]
    public void Build_Prod_FirewallMustOnlyOpenRelayPorts()
    {
        var hub = Prod().Host("hub2");
        Assert.Equal([(51820, "udp", "Difenn WireGuard relay for CT2914"), (443, "udp", "Difenn WireGuard relay for LTE (port 443)")], hub.FirewallRules.Select(r => (r.Port, r.Protocol, r.Comment)));
        var script = hub.Commands.Single(c => c.Name == "hub2-firewall").Create.Redacted;
        Assert.Contains("ufw allow 51820/udp comment 'Difenn WireGuard relay for CT2914'", script);
        Assert.Contains("ufw allow 443/udp comment 'Difenn WireGuard relay for LTE (port 443)'", script);
        Assert.Equal(2, script.Split('\n').Count(l => l.StartsWith("ufw ")));
        var delete = hub.Commands.Single(c => c.Name == "hub2-firewall").Delete!.Redacted;
        Assert.Equal(2, delete.Split('\n').Count(l => l.StartsWith("ufw ")));
        Assert.DoesNotContain("reset", delete);
    }

    [Fact]
    public void Build_PreviousServerKey_RelayAcceptsBothServerOnlyTheNew()
    {
        var old = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
        var state = DesiredStateBuilder.Build(StackLoader.LoadFromString(StackFiles.ProdWith("  secrets:\n    privateKey: serverPrivateKey\n",
            $"  previousPublicKeys: [{old}]\n  secrets:\n    privateKey: serverPrivateKey\n"), "t.yaml").Stack!);
        var hub = state.Host("hub2");
        // Both keys in the file the relays re-read (no restart when it changes); the containers only name the file.
        var keys = hub.Files.Single(f => f.Path == "/opt/difenn-relay/keys/server-public-keys");
        Assert.Equal(["2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", old],
            keys.Content.Reveal(new DictionarySecretSource(new Dictionary<string, string>())).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')));
        Assert.All(hub.Containers, c => Assert.DoesNotContain("--server-public-key", c.Command));
        Assert.All(hub.Containers, c => Assert.Equal("/etc/difenn-relay/server-public-keys", c.Command[c.Command.ToList().IndexOf("--server-public-keys-file") + 1]));
        Assert.Contains("\"/opt/difenn-relay/keys:/etc/difenn-relay:ro\"", hub.Files.Single(f => f.Path.EndsWith("compose.yaml")).Content.Reveal(new DictionarySecretSource(new Dictionary<string, string>())));
        Assert.Equal("2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", state.Host("xe300").WireGuard!.Peers.Single().PublicKey);
    }

    [Fact]
    public void Build_Prod_RelayContainersHostNetworkRestartHealthcheck()
    {
        var hub = Prod().Host("hub2");
        Assert.Equal(2, hub.Containers.Count);
        Assert.All(hub.Containers, c => Assert.Equal(("host", "unless-stopped"), (c.NetworkMode, c.Restart)));
        Assert.Contains("--backend", hub.Containers[0].Command);
        Assert.Contains("10.44.1.214:51820", hub.Containers[0].Command);
        var compose = hub.Files.Single(f => f.Path.EndsWith("compose.yaml", StringComparison.Ordinal)).Content.Redacted;
        Assert.Contains("healthcheck:", compose);
        Assert.Contains("network_mode: host", compose);
        Assert.Contains("restart: unless-stopped", compose);
        Assert.DoesNotContain("charliehub", compose.Split('\n').Where(l => !l.StartsWith('#')));
    }

    [Fact]
    public void Build_Prod_LegacyMigrationRunsBeforeRelay()
    {
        var hub = Prod().Host("hub2");
        var names = hub.Commands.Select(c => c.Name).ToList();
        Assert.Equal(["hub2-firewall", "hub2-legacy-socat", "hub2-relay"], names);
        Assert.Equal(["hub2-legacy-socat"], hub.Commands[2].DependsOn);
        Assert.Contains("charliehub_difenn_relay_443", hub.Commands[1].Create.Redacted);
        Assert.DoesNotContain("docker compose down", hub.Commands[1].Create.Redacted);
    }

    [Fact]
    public void Build_Prod_ServerConfigIsTheRunbooks()
    {
        var ct = Prod().Host("ct2914");
        var file = Assert.Single(ct.Files);
        Assert.Equal(("/etc/wireguard/wg0.conf", "0600", "root:root"), (file.Path, file.Mode, file.Owner));
        Assert.Equal(["serverPrivateKey"], file.Content.SecretNames);
        var key = WireGuardPrivateKey.Generate();
        var parsed = WgQuickParser.Parse(file.Content.Reveal(new DictionarySecretSource(new Dictionary<string, string> { ["serverPrivateKey"] = key.RevealBase64() })), "wg0.conf");
        Assert.True(parsed.Success, string.Join("\n", parsed.Diagnostics));
        var c = parsed.Config!;
        Assert.Equal(key, c.Interface.PrivateKey);
        Assert.Equal("10.200.0.1/24", Assert.Single(c.Interface.Addresses).ToString());
        Assert.Equal(51820, c.Interface.ListenPort);
        var peer = Assert.Single(c.Peers);
        Assert.Equal("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", peer.PublicKey.ToBase64());
        Assert.Equal("10.200.0.2/32", Assert.Single(peer.AllowedIPs).ToString());
        Assert.Equal(25, peer.PersistentKeepalive);
        Assert.Equal("pct exec 2914 --", ct.Connection.ExecPrefix);
        Assert.Equal("px3", ct.Connection.Host);
    }

    [Fact]
    public void Build_Prod_Xe300UciAndRollback()
    {
        var xe = Prod().Host("xe300");
        var script = Assert.Single(xe.Commands).Create;
        Assert.Equal(["xe300PrivateKey"], script.SecretNames);
        var text = script.Redacted;
        Assert.Contains("set difenn_network.wg_difenn.private_key='[secret]'", text);
        Assert.Contains("set difenn_network.wg_difenn_server.public_key='2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI='", text);
        Assert.Contains("set difenn_network.wg_difenn_server.endpoint_host='wg.trevarn.com'", text);
        Assert.Contains("set difenn_network.wg_difenn_server.persistent_keepalive='25'", text);
        Assert.Contains("add_list difenn_network.wg_difenn.addresses='10.200.0.2/24'", text);
        Assert.True(text.IndexOf("sleep 120", StringComparison.Ordinal) < text.LastIndexOf("/etc/init.d/network reload", StringComparison.Ordinal), "rollback must be armed before the reload");
        Assert.Contains("10.200.0.2", xe.Connection.ExecPrefix);
        Assert.StartsWith("pct exec 2914 --", xe.Connection.ExecPrefix);
    }

    [Fact]
    public void Build_Prod_DeployOrderHubServerPeer()
    {
        var s = Prod();
        Assert.Equal(["hub2", "ct2914", "xe300"], s.Hosts.Select(h => h.Name));
        Assert.Equal(["hub2-relay"], s.Host("ct2914").Commands[0].DependsOn);
        Assert.Equal(["ct2914-wg0"], s.Host("xe300").Commands[0].DependsOn);
        Assert.Equal(("A", "51.68.235.106", 300, false), (s.Dns.Type, s.Dns.Content, s.Dns.Ttl, s.Dns.Proxied));
    }

    [Fact]
    public void Build_Twice_IdenticalOutput()
    {
        Assert.Equal(JsonSerializer.Serialize(Prod()), JsonSerializer.Serialize(Prod()));
    }

    [Fact]
    public void Build_Prod_HoldsNoKeyMaterial()
    {
        var json = JsonSerializer.Serialize(Prod(), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        // The only base64 keys in the state are the two public keys of the stack file.
        var keys = System.Text.RegularExpressions.Regex.Matches(json, "[A-Za-z0-9+/]{43}=").Select(m => m.Value).Distinct().Order().ToList();
        Assert.Equal(["2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", "RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA="], keys);
    }

    [Fact]
    public void Reveal_MissingSecret_NamesIt()
    {
        var file = Prod().Host("ct2914").Files[0];
        var ex = Assert.Throws<MissingSecretException>(() => file.Content.Reveal(new DictionarySecretSource(new Dictionary<string, string>())));
        Assert.Equal("serverPrivateKey", ex.SecretName);
    }
}
