using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Remote;
using Difenn.Cli.Stacks;
using Difenn.Operations.Verification;
using Difenn.Topology.Desired;

namespace Difenn.Cli.Verify;

/// <summary><c>difenn verify</c>: the runbook's connectivity checks, automated and explained.</summary>
public static class VerifyCommand
{
    /// <summary>Creates the <c>verify</c> command.</summary>
    public static Command Create(CliConsole console)
    {
        var stack = new StackOptions();
        var ssh = new SshCliOptions();
        var json = JsonOutput.CreateOption();
        var cmd = new Command("verify", """
            Run the runbook's checks against the live hosts, outside in: DNS resolves to the hub; the hub listens on the
            relay ports and ufw allows them; the server's latest handshake with each peer is recent (≤ 180 s) and its
            keepalive is the stack's; from the router, ping over the tunnel works (latency above 150 ms is a warning; the
            runbook sees 40–50 ms); the router's keepalive; which uplink (ethernet or LTE) and which port (primary or
            fallback) it uses. Every check that does not pass prints its likely cause and the fix. Read-only.

            Exit: 0 every check passed (warnings allowed); 1 a check failed or could not run; 2 usage error.

            Examples:
              difenn verify --stack prod
              difenn verify --stack prod --json
            """) { json };
        stack.AddTo(cmd);
        ssh.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var model = stack.Load(r, console);
            await using var shell = ssh.CreateShell(r);
            var report = await new Verifier(shell).VerifyAsync(model, DesiredStateBuilder.Build(model), new StderrProgress(console.Error), ct);
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { report.Stack, ok = report.ExitCode == 0, report.Checks });
            else Print(console.Out, report);
            return report.ExitCode;
        });
        return cmd;
    }

    private static void Print(TextWriter o, VerifyReport report)
    {
        foreach (var c in report.Checks)
        {
            var mark = c.Status switch { CheckStatus.Pass => "ok  ", CheckStatus.Warn => "WARN", CheckStatus.Fail => "FAIL", _ => "SKIP" };
            o.WriteLine($"{mark}  {c.Name}: {c.Detail}");
            if (c.Cause is not null) o.WriteLine($"        likely cause: {c.Cause}");
            if (c.Fix is not null) o.WriteLine($"        fix: {c.Fix}");
        }
        var failed = report.Checks.Count(c => c.Status is CheckStatus.Fail or CheckStatus.Skipped);
        o.WriteLine();
        o.WriteLine(failed == 0 ? $"all {report.Checks.Count} checks passed" + (report.Checks.Any(c => c.Status == CheckStatus.Warn) ? " (with warnings)" : "") : $"{failed} of {report.Checks.Count} checks failed");
    }
}
