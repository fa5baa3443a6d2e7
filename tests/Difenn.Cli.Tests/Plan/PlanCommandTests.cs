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

    [Fact]
    public void Plan_RevealWithSecretsDir_WritesSecretFiles0600()
    {
        var secrets = CliRunner.TempDir();
        var serverKey = WireGuardPrivateKey.Generate();
        foreach (var (name, key) in new[] { ("serverPrivateKey", serverKey), ("xe300PrivateKey", WireGuardPrivateKey.Generate()) })
        {
            File.WriteAllText(Path.Combine(secrets, name), key.RevealBase64());
            File.SetUnixFileMode(Path.Combine(secrets, name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var outDir = CliRunner.TempDir();
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--out", outDir, "--reveal", "--secrets-dir", secrets);
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
