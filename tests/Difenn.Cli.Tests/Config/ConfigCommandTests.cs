using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Processes;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Config;

public class ConfigCommandTests
{
    private static string WriteConf(string body, string name = "wg0.conf")
    {
        var path = Path.Combine(CliRunner.TempDir(), name);
        File.WriteAllText(path, body);
        return path;
    }

    private static string Valid(string? endpoint = null) =>
        $"[Interface]\nPrivateKey = {WireGuardPrivateKey.Generate().RevealBase64()}\nAddress = 10.200.0.2/24\n\n[Peer]\n# server\nPublicKey = {WireGuardPrivateKey.Generate().PublicKey}\nAllowedIPs = 10.200.0.0/24\nEndpoint = {endpoint ?? "wg.trevarn.com:51820"}\nPersistentKeepalive = 25\n";

    [Fact]
    public void Check_CleanFile_Exit0()
    {
        var r = CliRunner.Run("config", "check", WriteConf(Valid()));
        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Out);
        Assert.Contains("0 error(s)", r.Err);
    }

    [Fact]
    public void Check_Problem_Exit1WithFileLineField()
    {
        var path = WriteConf(Valid(endpoint: "wg.trevarn.com"));
        var r = CliRunner.Run("config", "check", path);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{path}:9:1: error: Peer.Endpoint:", r.Out);
    }

    [Fact]
    public void Check_Json_ListsDiagnosticsPerFile()
    {
        var good = WriteConf(Valid());
        var bad = WriteConf("[Interface]\nListenPort = 0\n");
        var r = CliRunner.Run("config", "check", good, bad, "--json");
        Assert.Equal(1, r.ExitCode);
        var doc = JsonDocument.Parse(r.Out).RootElement;
        Assert.True(doc.GetProperty("files")[0].GetProperty("valid").GetBoolean());
        Assert.False(doc.GetProperty("files")[1].GetProperty("valid").GetBoolean());
        Assert.Equal("error", doc.GetProperty("files")[1].GetProperty("diagnostics")[0].GetProperty("severity").GetString());
        Assert.True(doc.GetProperty("errors").GetInt32() >= 1);
    }

    [Fact]
    public void Check_MissingFile_Exit1NamesFile()
    {
        var r = CliRunner.Run("config", "check", "/nonexistent/wg9.conf");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("/nonexistent/wg9.conf", r.Out);
    }

    [Fact]
    public void Check_NoFiles_UsageError()
    {
        Assert.Equal(2, CliRunner.Run("config", "check").ExitCode);
    }

    [Fact]
    public void Render_Uci_OutFile0600WithBatch()
    {
        var conf = WriteConf(Valid(), "wg_difenn.conf");
        var outPath = Path.Combine(CliRunner.TempDir(), "x.uci");
        var r = CliRunner.Run("config", "render", "--uci", conf, "--out", outPath);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(outPath));
        var batch = File.ReadAllText(outPath);
        Assert.Contains("set network.wg_difenn.proto='wireguard'", batch);
        Assert.Contains("set network.wg_difenn_server.persistent_keepalive='25'", batch);
    }

    [Fact]
    public void Render_WithoutDestination_UsageError()
    {
        Assert.Equal(2, CliRunner.Run("config", "render", "--uci", WriteConf(Valid(), "wg_difenn.conf")).ExitCode);
    }

    [Fact]
    public async Task Binary_RealProcess_ExitCodesAndStreams()
    {
        // The built executable, run as a process, as scripts will run it.
        var dll = Path.Combine(AppContext.BaseDirectory, "difenn.dll");
        var ok = await ProcessRunner.RunAsync("dotnet", [dll, "config", "check", WriteConf(Valid())]);
        Assert.Equal(0, ok.ExitCode);
        var usage = await ProcessRunner.RunAsync("dotnet", [dll, "keys", "generate", "--bogus"]);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--help", usage.StdErr);
        var key = await ProcessRunner.RunAsync("dotnet", [dll, "keys", "generate", "--stdout"]);
        Assert.Equal(0, key.ExitCode);
        WireGuardPrivateKey.Parse(key.StdOut.Trim());
    }
}
