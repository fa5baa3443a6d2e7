using Difenn.Infra.Components;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;

namespace Difenn.Infra.Tests;

/// <summary>The one host key the provider gets, chosen with the CLI's policy (pinned, else known_hosts; never TOFU).</summary>
public class ProviderConnectionResolverTests
{
    private static ProviderConnection Resolve(IReadOnlyList<string> pinned, string knownHosts = "", string sshConfig = "", string host = "h.example", int port = 22) =>
        new ProviderConnectionResolver(SshConfigFile.Parse(sshConfig), KnownHosts.Parse(knownHosts, "/home/op/.ssh/known_hosts"))
            .Resolve("hub2", new HostConnection(host, port, "root", pinned, null), "hub.ssh.hostKeys");

    [Fact]
    public void SeveralPinnedAlgorithms_StrongestChosen_AllValidated()
    {
        var ed = HostKeys.Ed25519();
        var ec = HostKeys.Ecdsa256();
        Assert.Equal(ed, Resolve([ec, ed]).HostKey);
        Assert.Equal(ec, Resolve([ec]).HostKey);
        Assert.Contains("is not 'TYPE BASE64'", Assert.Throws<HostKeyMissingException>(() => Resolve([ed, "ssh-ed25519 !!!"])).Message);
    }

    [Fact]
    public void TwoDifferentKeysOfTheChosenAlgorithm_RefusedNamingBothFingerprints()
    {
        var e = Assert.Throws<HostKeyMissingException>(() => Resolve([HostKeys.Ed25519(), HostKeys.Ed25519()]));
        Assert.Contains("2 different ssh-ed25519 keys", e.Message);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(e.Message, "SHA256:").Count);
    }

    [Fact]
    public void PinnedKeys_ReplaceKnownHosts()
    {
        var pinned = HostKeys.Ed25519();
        Assert.Equal(pinned, Resolve([pinned], $"h.example {HostKeys.Ed25519()}\n").HostKey);
        Assert.Equal("the stack's hub.ssh.hostKeys", Resolve([pinned]).HostKeySource);
    }

    [Fact]
    public void KnownHosts_ByAliasOrAddress_RevokedNeverUsed()
    {
        var key = HostKeys.Ed25519();
        var config = "Host px3\n  HostName 192.0.2.14\n  Port 2222\n";
        var byAlias = Resolve([], $"[px3]:2222 {key}\n", config, "px3");
        Assert.Equal(("192.0.2.14", 2222, key), (byAlias.Host, byAlias.Port, byAlias.HostKey));
        Assert.Equal(key, Resolve([], $"[192.0.2.14]:2222 {key}\n", config, "px3").HostKey);
        // a stack port other than 22 wins over the alias's
        Assert.Equal(2200, Resolve([], $"[192.0.2.14]:2200 {key}\n", config, "px3", 2200).Port);
        Assert.Throws<HostKeyMissingException>(() => Resolve([], $"h.example {key}\n@revoked * {key}\n"));
    }

    [Fact]
    public void NoKey_MessageNamesHostFingerprintCommandAndWhereToPin()
    {
        var e = Assert.Throws<HostKeyMissingException>(() => Resolve([], "", "", "198.51.100.7", 2022));
        Assert.StartsWith("hub2: no host key for 198.51.100.7:2022", e.Message);
        Assert.Contains("ssh-keyscan -p 2022 198.51.100.7 | ssh-keygen -lf -", e.Message);
        Assert.Contains("hub.ssh.hostKeys", e.Message);
        Assert.Contains("/home/op/.ssh/known_hosts", e.Message);
    }
}
