using Difenn.Topology.Loading;
using Difenn.WireGuard.Validation;

namespace Difenn.Topology.Tests.Loading;

/// <summary>Every mistake a person can make in a stack file is reported at its line and column.</summary>
public class StackValidationTests
{
    private static Diagnostic OneError(string yaml)
    {
        var r = StackLoader.LoadFromString(yaml, "stacks/test.yaml");
        Assert.False(r.Success);
        return Assert.Single(r.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Load_PreviousPublicKeysHoldsCurrentOrBadKey_ErrorAtItsLine()
    {
        const string current = "2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=";
        var yaml = StackFiles.ProdWith($"  publicKey: {current}\n", $"  publicKey: {current}\n  previousPublicKeys: [{current}]\n");
        var d = OneError(yaml);
        Assert.Equal(("server.previousPublicKeys", StackFiles.LineOf(yaml, "previousPublicKeys")), (d.Field, d.Line));
        Assert.Contains("current server.publicKey", d.Message);
        var bad = OneError(StackFiles.ProdWith($"  publicKey: {current}\n", $"  publicKey: {current}\n  previousPublicKeys: [nope]\n"));
        Assert.Equal("server.previousPublicKeys", bad.Field);
    }

    [Fact]
    public void Load_BackendNotServer_ErrorAtBackendLine()
    {
        var yaml = StackFiles.ProdWith("backend: 10.44.1.214:51820", "backend: 10.44.1.215:51820");
        var d = OneError(yaml);
        Assert.Equal("hub.relay.backend", d.Field);
        Assert.Equal(StackFiles.LineOf(yaml, "backend: 10.44.1.215"), d.Line);
        Assert.Contains("10.44.1.214:51820", d.Message);
        Assert.StartsWith($"stacks/test.yaml:{d.Line}:", d.ToString());
    }

    [Fact]
    public void Load_PeerAddressOutsideSubnet_Error()
    {
        var yaml = StackFiles.ProdWith("    address: 10.200.0.2\n", "    address: 10.201.0.2\n");
        var d = OneError(yaml);
        Assert.Equal("peers[0].address", d.Field);
        Assert.Equal(StackFiles.LineOf(yaml, "address: 10.201.0.2"), d.Line);
        Assert.Contains("outside", d.Message);
    }

    [Fact]
    public void Load_PeerAddressIsServers_Error()
    {
        var d = OneError(StackFiles.ProdWith("    address: 10.200.0.2\n", "    address: 10.200.0.1\n"));
        Assert.Contains("already used by the server", d.Message);
    }

    [Fact]
    public void Load_DuplicatePeerAddress_Error()
    {
        var yaml = StackFiles.Prod + "  - name: phone\n    address: 10.200.0.2\n    publicKey: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n    endpoint:\n      host: wg.trevarn.com\n";
        var d = OneError(yaml);
        Assert.Equal("peers[1].address", d.Field);
        Assert.Contains("already used by peers[0]", d.Message);
    }

    [Fact]
    public void Load_SecondPeerWithoutAddress_Allocated()
    {
        var yaml = StackFiles.Prod + "  - name: phone\n    publicKey: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n    keepalive: 25\n    endpoint:\n      host: wg.trevarn.com\n";
        var r = StackLoader.LoadFromString(yaml, "t.yaml");
        Assert.True(r.Success, string.Join("\n", r.Diagnostics));
        Assert.Equal("10.200.0.3", r.Stack!.Peers[1].Address.ToString());
        Assert.Equal(["10.200.0.0/24"], r.Stack.Peers[1].AllowedIPs.Select(a => a.ToString()));
    }

    [Fact]
    public void Load_LtePeerWithoutKeepalive_Error()
    {
        var yaml = StackFiles.ProdWith("    keepalive: 25               # mandatory behind LTE/CGNAT\n", "");
        var d = OneError(yaml);
        Assert.Equal("peers[0].keepalive", d.Field);
        Assert.Contains("LTE", d.Message);
    }

    [Fact]
    public void Load_FallbackPortNotOpened_Error()
    {
        var yaml = StackFiles.ProdWith("fallbackPort: 443", "fallbackPort: 8443");
        var d = OneError(yaml);
        Assert.Equal("peers[0].endpoint.fallbackPort", d.Field);
        Assert.Equal(StackFiles.LineOf(yaml, "fallbackPort: 8443"), d.Line);
        Assert.Contains("8443", d.Message);
    }

    [Fact]
    public void Load_UnknownKey_ErrorWithSuggestion()
    {
        var yaml = StackFiles.ProdWith("    keepalive: 25", "    keepAlive: 25");
        var r = StackLoader.LoadFromString(yaml, "t.yaml");
        var d = Assert.Single(r.Diagnostics, x => x.Field == "peers[0].keepAlive");
        Assert.Equal(StackFiles.LineOf(yaml, "keepAlive"), d.Line);
        Assert.Equal(5, d.Column);
        Assert.Contains("did you mean 'keepalive'", d.Message);
    }

    [Fact]
    public void Load_MissingSecretName_Error()
    {
        var r = StackLoader.LoadFromString(StackFiles.ProdWith("    privateKey: serverPrivateKey\n", "    privatekey: serverPrivateKey\n"), "t.yaml");
        Assert.Contains(r.Diagnostics, d => d.Field == "server.secrets.privateKey" && d.Message.Contains("missing required key"));
        Assert.Contains(r.Diagnostics, d => d.Field == "server.secrets.privatekey" && d.Message.Contains("did you mean 'privateKey'"));
    }

    [Fact]
    public void Load_SecretValueInsteadOfName_ErrorWithoutEchoingIt()
    {
        var key = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate().RevealBase64();
        var r = StackLoader.LoadFromString(StackFiles.ProdWith("privateKey: serverPrivateKey", "privateKey: " + key), "t.yaml");
        var d = Assert.Single(r.Diagnostics, x => x.Field == "server.secrets.privateKey");
        Assert.Contains("never the secret itself", d.Message);
        Assert.DoesNotContain(key, string.Join("\n", r.Diagnostics));
    }

    [Fact]
    public void Load_Proxied_Error()
    {
        var d = OneError(StackFiles.ProdWith("  ttl: 300\n", "  ttl: 300\n  proxied: true\n"));
        Assert.Equal("dns.proxied", d.Field);
    }

    [Fact]
    public void Load_BadPublicKey_Error()
    {
        var d = OneError(StackFiles.ProdWith("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", "RarBdP92ddU4"));
        Assert.Equal("peers[0].publicKey", d.Field);
    }

    [Fact]
    public void Load_DuplicatePeerKey_Error()
    {
        var yaml = StackFiles.Prod + "  - name: phone\n    publicKey: RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=\n    endpoint:\n      host: wg.trevarn.com\n";
        Assert.Contains("same public key", OneError(yaml).Message);
    }

    [Fact]
    public void Load_BrokenYaml_ErrorWithPosition()
    {
        var r = StackLoader.LoadFromString("stack: prod\ndns: [unclosed\n", "t.yaml");
        var d = Assert.Single(r.Diagnostics);
        Assert.True(d.Line >= 2);
        Assert.Equal("yaml", d.Field);
    }

    [Fact]
    public void Load_ManyMistakes_AllReported()
    {
        var yaml = StackFiles.ProdWith("ttl: 300", "ttl: zero").Replace("listenPort: 51820", "listenPort: 70000").Replace("image: difenn-relay:0.1.0", "imag: difenn-relay:0.1.0");
        var r = StackLoader.LoadFromString(yaml, "t.yaml");
        Assert.True(r.Diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error) >= 3, string.Join("\n", r.Diagnostics));
    }
}
