using System.Security.Cryptography;
using System.Text;
using Difenn.Operations.Remote;
using Difenn.Testing.Processes;

namespace Difenn.Operations.Tests.Remote;

public class KnownHostsTests
{
    private static readonly byte[] KeyA = RandomNumberGenerator.GetBytes(51);
    private static readonly byte[] KeyB = RandomNumberGenerator.GetBytes(51);
    private static string A => Convert.ToBase64String(KeyA);
    private static string B => Convert.ToBase64String(KeyB);

    private static string Hashed(string name)
    {
        var salt = RandomNumberGenerator.GetBytes(20);
        return $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)))}";
    }

    [Fact]
    public void Check_PlainHashedPortAndWildcardEntries_Matched()
    {
        var policy = new HostKeyPolicy(KnownHosts.Parse($"""
            # comment
            px3,10.0.0.3 ssh-ed25519 {A}
            {Hashed("hub.example")} ssh-ed25519 {A}
            [127.0.0.1]:2222 ssh-ed25519 {A}
            *.lab.test,!bad.lab.test ssh-ed25519 {A}
            """, "kh"));
        Assert.Null(policy.Check("px3", 22, [], "ssh-ed25519", KeyA));
        Assert.Null(policy.Check("10.0.0.3", 22, [], "ssh-ed25519", KeyA));
        Assert.Null(policy.Check("hub.example", 22, [], "ssh-ed25519", KeyA));
        Assert.Null(policy.Check("127.0.0.1", 2222, [], "ssh-ed25519", KeyA));
        Assert.Null(policy.Check("r1.lab.test", 22, [], "ssh-ed25519", KeyA));
        Assert.Contains("is not in kh", policy.Check("bad.lab.test", 22, [], "ssh-ed25519", KeyA));
        Assert.Contains("is not in kh", policy.Check("127.0.0.1", 22, [], "ssh-ed25519", KeyA)); // port 22 is another entry
    }

    [Fact]
    public void Check_OtherKeyForKnownHost_MismatchWarnsOfInterception()
    {
        var policy = new HostKeyPolicy(KnownHosts.Parse($"px3 ssh-ed25519 {A}\n", "kh"));
        var reason = policy.Check("px3", 22, [], "ssh-ed25519", KeyB);
        Assert.StartsWith("HOST KEY MISMATCH for px3:22", reason);
        Assert.Contains(HostKeyPolicy.Fingerprint(KeyB), reason);
    }

    [Fact]
    public void Check_UnknownHost_RefusedWithHowToTrustIt()
    {
        var reason = new HostKeyPolicy(KnownHosts.Empty("kh")).Check("hub2", 22, [], "ssh-ed25519", KeyA);
        Assert.Contains("host hub2 is not in kh", reason);
        Assert.Contains("ssh-keyscan -p 22 hub2", reason);
    }

    [Fact]
    public void Check_RevokedKey_RefusedEvenIfListed()
    {
        var policy = new HostKeyPolicy(KnownHosts.Parse($"@revoked * ssh-ed25519 {A}\npx3 ssh-ed25519 {A}\n", "kh"));
        Assert.Contains("@revoked", policy.Check("px3", 22, [], "ssh-ed25519", KeyA));
    }

    [Fact]
    public void Check_PinnedKeys_ReplaceKnownHosts()
    {
        var policy = new HostKeyPolicy(KnownHosts.Parse($"px3 ssh-ed25519 {A}\n", "kh"));
        Assert.Null(policy.Check("px3", 22, [$"ssh-ed25519 {B} pinned"], "ssh-ed25519", KeyB));
        Assert.Contains("not one of the keys pinned", policy.Check("px3", 22, [$"ssh-ed25519 {B}"], "ssh-ed25519", KeyA));
    }

    [Fact]
    public async Task Fingerprint_SameAsSshKeygen()
    {
        var dir = Directory.CreateTempSubdirectory("dfn-kh-").FullName;
        try
        {
            (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "k")])).EnsureSuccess("ssh-keygen");
            var blob = Convert.FromBase64String(File.ReadAllText(Path.Combine(dir, "k.pub")).Split(' ')[1]);
            var expected = (await ProcessRunner.OutputAsync("ssh-keygen", "-l", "-E", "sha256", "-f", Path.Combine(dir, "k.pub"))).Split(' ')[1];
            Assert.Equal(expected, HostKeyPolicy.Fingerprint(blob));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
