using System.Text.Json;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Testing.Lab;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Operations;

/// <summary>`difenn drift`, `verify` and `rotate` without any host: help, usage errors, dry runs, unreachable hosts.</summary>
public class OperationsCommandsTests
{
    private static string ProdPath() => Testing.RepoFiles.ProdStackPath;

    [Theory]
    [InlineData("drift")]
    [InlineData("verify")]
    [InlineData("rotate")]
    [InlineData("rotate", "server")]
    public void Help_EveryOperationsCommand_ExplainsExitCodesWithExamples(params string[] command)
    {
        var r = CliRunner.Run([.. command, "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains(command.Length == 1 ? "Exit:" : "--pulumi-stack", r.Out);
        if (command.Length == 1) Assert.Contains($"difenn {command[0]} ", r.Out);
    }

    [Fact]
    public void RotateServer_DryRun_StepsInSafeOrderNothingContacted()
    {
        var r = CliRunner.Run("rotate", "server", "--stack-file", ProdPath(), "--dry-run");
        Assert.Equal(0, r.ExitCode);
        var lines = r.Out.Split('\n');
        var router = Array.FindIndex(lines, l => l.Contains("xe300: commit the new uci config through the tunnel, rollback timer 120s"));
        var relay = Array.FindIndex(lines, l => l.Contains("hub2: the relays accept the new and the previous server key"));
        var server = Array.FindIndex(lines, l => l.Contains("ct2914: at once, tell xe300 to switch 1 s later (through the tunnel, from ct2914), write the new /etc/wireguard/wg0.conf"));
        var confirm = Array.FindIndex(lines, l => l.Contains("confirm: a new handshake seen on ct2914 well before a router's timer decides; otherwise, once it has decided, ask the router"));
        var rollback = Array.FindIndex(lines, l => l.Contains("only then put ct2914 back"));
        // The relays first (keys re-read, no restart), the router under its timer, the server at once (after
        // telling the router when to switch), and the server put back only after the router's own decision.
        Assert.True(relay > 0 && relay < router && router < server && server < confirm && confirm < rollback, r.Out);
        Assert.Contains("2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=", r.Out); // the public key being replaced
    }

    [Fact]
    public void RotateServer_NoSecretStore_UsageError()
    {
        var r = CliRunner.Run("rotate", "server", "--stack-file", ProdPath());
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--secrets-dir DIR or --pulumi-stack NAME", r.Err);
    }

    [Theory]
    [InlineData("peer", "phone", "no peer 'phone'")]
    [InlineData("psk", "xe300", "names no preshared key: add 'presharedKey: xe300PresharedKey' under peers[0].secrets")]
    public void Rotate_RequestNotFittingTheStack_Exit1WithWhatToDo(string what, string peer, string message)
    {
        var r = CliRunner.Run("rotate", what, peer, "--stack-file", ProdPath(), "--dry-run");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public async Task Drift_EveryHostUnreachable_Exit1EachHostReported()
    {
        var dir = CliRunner.TempDir();
        var stack = Path.Combine(dir, "closed.yaml");
        // Ports nothing listens on, on loopback only; DNS name localhost: nothing leaves the machine.
        File.WriteAllText(stack, LabStack.Yaml(1, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDIuLsEbxwq8oW0k0Me3mM7R3ApDiCzJLF8cKZ1mfD0q", 1,
            WireGuardPrivateKey.Generate().PublicKey, WireGuardPrivateKey.Generate().PublicKey, 30));
        var key = Path.Combine(dir, "id");
        (await Testing.Processes.ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])).EnsureSuccess("ssh-keygen");

        var r = CliRunner.Run("drift", "--stack-file", stack, "--identity", key, "--known-hosts", Path.Combine(dir, "kh"), "--json", "--connect-timeout", "2");

        Assert.Equal(1, r.ExitCode);
        using var json = JsonDocument.Parse(r.Out);
        Assert.Equal(["hub2", "ct2914", "xe300"], json.RootElement.GetProperty("uncheckedHosts").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("cannot connect to root@127.0.0.1:1", r.Out);
        Assert.Contains(json.RootElement.GetProperty("items").EnumerateArray(), i => i.GetProperty("host").GetString() == "dns" && i.GetProperty("verdict").GetString() == "inSync");
    }
}
