using Difenn.Relay.Configuration;

namespace Difenn.Relay.Tests.Configuration;

public class RelayArgumentsTests
{
    private static Func<string, string?> Env(params (string K, string V)[] vars) => k => vars.FirstOrDefault(v => v.K == k).V;

    [Fact]
    public void Parse_DesignCommandLine_TwoListenersOneBackend()
    {
        var o = RelayArguments.Parse(["--listen", "51820", "--listen", "[::]:443", "--backend", "10.44.1.214:51820"], Env());
        Assert.Equal(["0.0.0.0:51820", "[::]:443"], o.Listen.Select(l => l.ToString()));
        Assert.Equal(("10.44.1.214", 51820), (o.BackendHost, o.BackendPort));
        Assert.Equal(TimeSpan.FromSeconds(180), o.IdleTimeout);
        Assert.True(o.WireGuardOnly);
    }

    [Fact]
    public void Parse_RunbookEnvironment_DifennIpAndPort()
    {
        var o = RelayArguments.Parse(["--listen", "443"], Env(("DIFENN_IP", "10.44.1.214"), ("DIFENN_PORT", "51820")));
        Assert.Equal(("10.44.1.214", 51820), (o.BackendHost, o.BackendPort));
    }

    [Fact]
    public void Parse_ListenFromEnvironment()
    {
        var o = RelayArguments.Parse(["--backend", "wg.example.test:51820"], Env(("DIFENN_RELAY_LISTEN", "51820, 443")));
        Assert.Equal(2, o.Listen.Count);
        Assert.Equal("wg.example.test", o.BackendHost);
    }

    [Fact]
    public void Parse_ServerPublicKeyTwice_BothKeptForARotation()
    {
        var (a, b) = (Convert.ToBase64String(new byte[32]), Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray()));
        var o = RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-key", a, "--server-public-key", b], Env());
        Assert.Equal([a, b], o.ServerPublicKeys.Select(Convert.ToBase64String));
        var fromEnv = RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5"], Env(("DIFENN_SERVER_PUBLIC_KEY", $"{a},{b}")));
        Assert.Equal(2, fromEnv.ServerPublicKeys.Count);
    }

    [Fact]
    public void Parse_ServerKeysFile_CheckedAtStart_BadLineNamesFileAndLine()
    {
        var dir = Directory.CreateTempSubdirectory("dfn-keys-").FullName;
        try
        {
            var file = Path.Combine(dir, "server-public-keys");
            File.WriteAllText(file, $"# keys\n\n{Convert.ToBase64String(new byte[32])}\n");
            Assert.Equal(file, RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-keys-file", file], Env()).ServerPublicKeysFile);
            Assert.Equal(file, RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5"], Env(("DIFENN_SERVER_PUBLIC_KEYS_FILE", file))).ServerPublicKeysFile);

            File.WriteAllText(file, $"{Convert.ToBase64String(new byte[32])}\nAAAA\n");
            var bad = Assert.Throws<ArgumentException>(() => RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-keys-file", file], Env()));
            Assert.Contains($"{file}:2: not a base64 WireGuard public key", bad.Message);
            File.WriteAllText(file, "# nothing\n");
            Assert.Contains("no key", Assert.Throws<ArgumentException>(() => RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-keys-file", file], Env())).Message);
            var missing = Path.Combine(dir, "nope");
            Assert.Contains(missing, Assert.Throws<ArgumentException>(() => RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-keys-file", missing], Env())).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--listen", "70000", "--backend", "1.2.3.4:5")]
    [InlineData("--listen", "51820")]
    [InlineData("--backend", "1.2.3.4:5")]
    [InlineData("--listen", "51820", "--backend", "1.2.3.4")]
    [InlineData("--listen", "51820", "--backend", "1.2.3.4:5", "--bogus")]
    [InlineData("--listen", "51820", "--listen", "51820", "--backend", "1.2.3.4:5")]
    [InlineData("--listen", "51820", "--backend", "1.2.3.4:5", "--server-public-key", "abc")]
    [InlineData("--listen", "51820", "--backend", "1.2.3.4:5", "--idle-timeout", "0")]
    public void Parse_BadInput_ArgumentException(params string[] args)
    {
        Assert.Throws<ArgumentException>(() => RelayArguments.Parse(args, Env()));
    }

    [Fact]
    public void Parse_StateFile_FromOptionOrEnvironment_DefaultNone()
    {
        var dir = Path.GetTempPath();
        Assert.Null(RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5"], Env()).StateFile);
        var path = Path.Combine(dir, "sessions-51820");
        Assert.Equal(path, RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5", "--state-file", path], Env()).StateFile);
        Assert.Equal(path, RelayArguments.Parse(["--listen", "51820", "--backend", "1.2.3.4:5"], Env(("DIFENN_RELAY_STATE_FILE", path))).StateFile);
    }

    [Fact]
    public void Parse_StateFileInMissingDirectoryOrADirectory_NamesThePath()
    {
        var ex = Assert.Throws<ArgumentException>(() => RelayArguments.Parse(["--listen", "1", "--backend", "1.2.3.4:5", "--state-file", "/nonexistent-dfn/sessions"], Env()));
        Assert.Contains("directory '/nonexistent-dfn' does not exist", ex.Message);
        var dir = Assert.Throws<ArgumentException>(() => RelayArguments.Parse(["--listen", "1", "--backend", "1.2.3.4:5", "--state-file", Path.GetTempPath()], Env()));
        Assert.Contains("is a directory", dir.Message);
    }
}
