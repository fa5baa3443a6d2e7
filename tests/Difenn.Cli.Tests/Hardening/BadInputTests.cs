using Difenn.Cli.Tests.Infrastructure;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Hardening;

/// <summary>
/// Bad input found by the adversarial review (issue 12): each gets one clean line and exit 1 or 2, never a stack
/// trace, and nothing is written where it should not be.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();

    private static string ProdFile()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "stacks", "prod.yaml"))) return Path.Combine(dir.FullName, "stacks", "prod.yaml");
        throw new InvalidOperationException("stacks/prod.yaml not found");
    }

    private static void AssertCleanError(CliRunner.Result r, int exitCode, string contains)
    {
        Assert.Equal(exitCode, r.ExitCode);
        Assert.Contains(contains, r.Err);
        Assert.DoesNotContain("   at ", r.Err); // no stack trace
        Assert.DoesNotContain("Exception:", r.Err);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("psk")]
    public void Keys_OutIsADirectory_UsageErrorOneLine(string sub)
    {
        var r = CliRunner.Run("keys", sub, "--out", _dir);
        AssertCleanError(r, 2, "is a directory");
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void KeysPublic_EndlessStdin_RefusedAfterALittle()
    {
        var r = CliRunner.RunWithInput(new string('\0', 10_000_000), "keys", "public");
        AssertCleanError(r, 2, "more than 4096 characters");
        var key = WireGuardPrivateKey.Generate();
        Assert.Equal(key.PublicKey.ToBase64() + "\n", CliRunner.RunWithInput(key.RevealBase64() + "\n", "keys", "public").Out);
    }

    [Theory]
    [InlineData("../stacks/prod")]
    [InlineData("/etc/passwd")]
    [InlineData("prod/../prod")]
    public void Stack_PathInsteadOfName_Refused(string stack)
    {
        AssertCleanError(CliRunner.Run("plan", "--stack", stack), 2, "not a path");
    }

    [Fact]
    public void PlanReveal_SecretFileReadableByOthers_CleanError()
    {
        var secrets = Path.Combine(_dir, "secrets");
        Directory.CreateDirectory(secrets);
        foreach (var name in new[] { "serverPrivateKey", "xe300PrivateKey" })
        {
            File.WriteAllText(Path.Combine(secrets, name), WireGuardPrivateKey.Generate().RevealBase64() + "\n");
            File.SetUnixFileMode(Path.Combine(secrets, name), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--show-files", "--reveal", "--secrets-dir", secrets);
        AssertCleanError(r, 1, "chmod 600");
    }

    [Fact]
    public void PlanReveal_SecretNotAKey_RefusedBeforeAnythingIsRendered()
    {
        var secrets = Path.Combine(_dir, "secrets");
        var output = Path.Combine(_dir, "out");
        Directory.CreateDirectory(secrets);
        // A newline and a heredoc terminator would end the file's text and run the rest as shell.
        var values = new Dictionary<string, string>
        {
            ["serverPrivateKey"] = WireGuardPrivateKey.Generate().RevealBase64() + "\nDIFENN_EOF\ntouch /tmp/pwned",
            ["xe300PrivateKey"] = WireGuardPrivateKey.Generate().RevealBase64(),
        };
        foreach (var (name, value) in values)
        {
            File.WriteAllText(Path.Combine(secrets, name), value + "\n");
            File.SetUnixFileMode(Path.Combine(secrets, name), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var r = CliRunner.Run("plan", "--stack-file", ProdFile(), "--out", output, "--reveal", "--secrets-dir", secrets);
        AssertCleanError(r, 1, "secret 'serverPrivateKey'");
        Assert.Contains("is not a WireGuard key", r.Err);
        Assert.DoesNotContain("pwned", string.Join("", Directory.Exists(output) ? Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(File.ReadAllText) : []));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
