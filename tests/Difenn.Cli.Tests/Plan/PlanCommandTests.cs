using System.Diagnostics;
using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Plan;

public class PlanCommandTests
{
    private static string ProdFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "stacks", "prod.yaml"))) return Path.Combine(dir.FullName, "stacks", "prod.yaml");
        throw new InvalidOperationException("stacks/prod.yaml not found");
    }

    [Fact]
    public void Plan_Prod_ShowsEveryFactOfTheRunbook()
    {
        var r = CliRunner.Run("plan", "--stack-file", ProdFile());
        Assert.Equal(0, r.ExitCode);
        foreach (var fact in new[]
        {
            "wg.trevarn.com A 51.68.235.106  ttl=300 proxied=false",
            "51820/udp ALLOW Anywhere  # Difenn WireGuard relay for CT2914",
            "443/udp ALLOW Anywhere  # Difenn WireGuard relay for LTE (port 443)",
            "difenn_relay_51820", "difenn_relay_443", "network=host restart=unless-stopped",
            "wireguard  wg0  address=10.200.0.1/24 listen=51820 publicKey=2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=",
            "peer     xe300  RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=  allowed=10.200.0.2/32 keepalive=25",
            "endpoint=wg.trevarn.com:51820",
            "/etc/wireguard/wg0.conf  0600 root:root",
            "pct exec 2914 --",
            "charliehub_difenn_relay",
        })
            Assert.Contains(fact, r.Out);
    }

    [Fact]
    public void Plan_ShowFiles_SecretsRedacted()
    {
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--show-files");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("PrivateKey = [secret]", r.Out);
        Assert.Contains("private_key='[secret]'", r.Out);
        Assert.DoesNotMatch("PrivateKey = [A-Za-z0-9+/]{43}=", r.Out);
    }

    /// <summary>prod.yaml with the given public keys in place of the server's and the XE300's.</summary>
    private static string ProdWithKeys(WireGuardPrivateKey server, WireGuardPrivateKey xe300)
    {
        var path = Path.Combine(CliRunner.TempDir(), "prod.yaml");
        File.WriteAllText(path, File.ReadAllText(ProdFile())
            .Replace("2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", server.PublicKey.ToBase64())
            .Replace("RarBdP92ddU4qRczeLWa35AR81RLho5zEERRvR/LNUA=", xe300.PublicKey.ToBase64()));
        return path;
    }

    private static string SecretsDir(params (string Name, WireGuardPrivateKey Key)[] keys)
    {
        var secrets = CliRunner.TempDir();
        foreach (var (name, key) in keys)
        {
            File.WriteAllText(Path.Combine(secrets, name), key.RevealBase64());
            File.SetUnixFileMode(Path.Combine(secrets, name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return secrets;
    }

    [Fact]
    public void Plan_RevealKeyNotDerivingDeclaredPublicKey_Exit1NamesSecretWritesNothing()
    {
        var (serverKey, xe300Key, stranger) = (WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate());
        var outDir = Path.Combine(CliRunner.TempDir(), "plan");
        var r = CliRunner.Run("plan", "--stack-file", ProdWithKeys(serverKey, xe300Key), "--out", outDir, "--reveal",
            "--secrets-dir", SecretsDir(("serverPrivateKey", serverKey), ("xe300PrivateKey", stranger)));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("secret 'xe300PrivateKey'", r.Err);
        Assert.Contains("peers[xe300].publicKey", r.Err);
        Assert.DoesNotContain("serverPrivateKey'", r.Err); // the matching pair is not reported
        Assert.DoesNotContain(stranger.RevealBase64(), r.Out + r.Err);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Plan_RevealWithSecretsDir_WritesSecretFiles0600()
    {
        var (serverKey, xe300Key) = (WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate());
        var secrets = SecretsDir(("serverPrivateKey", serverKey), ("xe300PrivateKey", xe300Key));
        var outDir = CliRunner.TempDir();
        var r = CliRunner.Run("plan", "--stack-file", ProdWithKeys(serverKey, xe300Key), "--out", outDir, "--reveal", "--secrets-dir", secrets);
        Assert.Equal(0, r.ExitCode);
        var conf = Path.Combine(outDir, "ct2914", "files", "etc", "wireguard", "wg0.conf");
        Assert.Contains($"PrivateKey = {serverKey.RevealBase64()}", File.ReadAllText(conf));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(conf));
        Assert.DoesNotContain(serverKey.RevealBase64(), r.Out + r.Err);
        Assert.True(File.Exists(Path.Combine(outDir, "hub2", "commands", "hub2-firewall.create.sh")));
    }

    [Fact]
    public void Plan_RevealMissingSecret_Exit1NamesSecret()
    {
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--show-files", "--reveal", "--secrets-dir", CliRunner.TempDir());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("serverPrivateKey", r.Err);
    }

    [Fact]
    public void Plan_Json_MachineReadableNoSecrets()
    {
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--json");
        Assert.Equal(0, r.ExitCode);
        var doc = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal("prod", doc.GetProperty("stack").GetString());
        Assert.Equal(3, doc.GetProperty("hosts").GetArrayLength());
        Assert.False(doc.GetProperty("dns").GetProperty("proxied").GetBoolean());
        Assert.Contains("[secret]", r.Out);
    }

    [Fact]
    public void Plan_JsonWithReveal_UsageError()
    {
        Assert.Equal(2, CliRunner.Run("plan", "--stack-file", ProdFile(), "--json", "--reveal").ExitCode);
    }

    [Fact]
    public void Plan_InvalidStack_Exit1WithFileLine()
    {
        var path = Path.Combine(CliRunner.TempDir(), "bad.yaml");
        File.WriteAllText(path, File.ReadAllText(ProdFile()).Replace("fallbackPort: 443", "fallbackPort: 8443"));
        var r = CliRunner.Run("plan", "--stack-file", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{path}:", r.Err);
        Assert.Contains("peers[0].endpoint.fallbackPort", r.Err);
        Assert.Empty(r.Out);
    }

    [Fact]
    public void Plan_UnknownStackName_UsageError()
    {
        var r = CliRunner.Run("plan", "--stack", "nosuchstack");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("stacks/nosuchstack.yaml", r.Err);
    }

    [Fact]
    public void Plan_Prod_FastAfterStartup()
    {
        CliRunner.Run("plan", "--stack-file", ProdFile()); // warm-up: JIT
        var sw = Stopwatch.StartNew();
        Assert.Equal(0, CliRunner.Run("plan", "--stack-file", ProdFile()).ExitCode);
        // Behaviour, not a benchmark: a plan is interactive, so it must not take anywhere near a second.
        Assert.True(sw.ElapsedMilliseconds < 1000, $"plan took {sw.ElapsedMilliseconds} ms");
    }
}
