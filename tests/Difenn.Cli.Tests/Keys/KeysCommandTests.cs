using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Processes;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Keys;

public class KeysCommandTests
{
    [Fact]
    public void Generate_Out_Writes0600FileAndPrintsOnlyPublicKey()
    {
        var path = Path.Combine(CliRunner.TempDir(), "server.key");
        var r = CliRunner.Run("keys", "generate", "--out", path);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var key = WireGuardPrivateKey.Parse(File.ReadAllText(path).Trim());
        Assert.Equal(key.PublicKey.ToBase64() + "\n", r.Out.Replace("\r", ""));
        Assert.DoesNotContain(key.RevealBase64(), r.Out + r.Err);
    }

    [Fact]
    public void Generate_Json_HasPublicKeyAndFileNoSecret()
    {
        var path = Path.Combine(CliRunner.TempDir(), "k");
        var r = CliRunner.Run("keys", "generate", "--out", path, "--json");
        var doc = JsonDocument.Parse(r.Out).RootElement;
        var key = WireGuardPrivateKey.Parse(File.ReadAllText(path).Trim());
        Assert.Equal(key.PublicKey.ToBase64(), doc.GetProperty("publicKey").GetString());
        Assert.DoesNotContain(key.RevealBase64(), r.Out);
    }

    [Fact]
    public void Generate_ExistingFile_RefusedWithoutForce()
    {
        var path = Path.Combine(CliRunner.TempDir(), "k");
        File.WriteAllText(path, "keep me");
        var r = CliRunner.Run("keys", "generate", "--out", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--force", r.Err);
        Assert.Equal("keep me", File.ReadAllText(path));
        Assert.Equal(0, CliRunner.Run("keys", "generate", "--out", path, "--force").ExitCode);
        Assert.NotEqual("keep me", File.ReadAllText(path));
    }

    [Fact]
    public void Generate_NoDestination_UsageError()
    {
        var r = CliRunner.Run("keys", "generate");
        Assert.Equal(2, r.ExitCode);
        Assert.Empty(r.Out);
    }

    [Fact]
    public void Generate_StdoutWithJson_RefusedSoJsonNeverHoldsSecret()
    {
        Assert.Equal(2, CliRunner.Run("keys", "generate", "--stdout", "--json").ExitCode);
    }

    [Fact]
    public async Task Generate_Stdout_KeyAcceptedByWgPubkey()
    {
        var r = CliRunner.Run("keys", "generate", "--stdout");
        var priv = r.Out.Trim();
        var wgPub = (await ProcessRunner.RunAsync("wg", ["pubkey"], stdin: priv + "\n")).EnsureSuccess("wg pubkey").StdOut.Trim();
        Assert.Equal(wgPub, CliRunner.RunWithInput(priv, "keys", "public").Out.Trim());
    }

    [Fact]
    public void Public_GarbageOnStdin_Exit1WithoutEchoingInput()
    {
        var r = CliRunner.RunWithInput("not-a-key-but-maybe-a-secret", "keys", "public");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("invalid private key", r.Err);
        Assert.DoesNotContain("not-a-key-but-maybe-a-secret", r.Err);
    }

    [Fact]
    public void Psk_Out_Writes0600()
    {
        var path = Path.Combine(CliRunner.TempDir(), "psk");
        Assert.Equal(0, CliRunner.Run("keys", "psk", "--out", path).ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        WireGuardPresharedKey.Parse(File.ReadAllText(path).Trim());
    }

    [Theory]
    [InlineData("keys", "generate")]
    [InlineData("keys", "public")]
    [InlineData("keys", "psk")]
    [InlineData("config", "check")]
    [InlineData("config", "render")]
    public void Help_EveryCommand_ExplainsWithExample(string group, string command)
    {
        var r = CliRunner.Run(group, command, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Example", r.Out);
        Assert.Contains($"difenn {group} {command}", r.Out);
    }
}
