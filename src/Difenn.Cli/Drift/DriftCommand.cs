using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Remote;
using Difenn.Cli.Stacks;
using Difenn.Operations.Drift;
using Difenn.Topology.Desired;

namespace Difenn.Cli.Drift;

/// <summary><c>difenn drift</c>: do the live hosts still match the stack?</summary>
public static class DriftCommand
{
    /// <summary>Exit code when drift was found.</summary>
    public const int DriftFound = 2;

    /// <summary>Creates the <c>drift</c> command.</summary>
    public static Command Create(CliConsole console)
    {
        var stack = new StackOptions();
        var ssh = new SshCliOptions();
        var json = JsonOutput.CreateOption();
        var all = new Option<bool>("--all") { Description = "Also list the items that are in sync." };
        var cmd = new Command("drift", """
            Read every host of the stack over SSH and compare it with the desired state: CT2914's wg0 (live interface
            and config file: listen port, address, public key of the live private key, each peer's key, allowed IPs,
            keepalive, preshared key), hub2's UFW rules for the relay ports, relay containers, legacy socat containers
            and what listens on the relay ports, the XE300's uci values and live interface, and the DNS record
            (resolved; and read from Cloudflare when CLOUDFLARE_API_TOKEN is set). Read-only: nothing is changed.
            Keys are compared by public key; no secret is read off a host or printed.

            Exit: 0 in sync; 2 drift found (even if some host could not be checked); 1 nothing drifted but some host
            could not be checked (each unreachable host is reported, the others are still checked); 2 also for a usage error.

            Examples:
              difenn drift --stack prod
              difenn drift --stack prod --json > drift.json
              difenn drift --stack prod --identity ~/.ssh/difenn_ed25519 --known-hosts ./known_hosts --all
            """) { json, all };
        stack.AddTo(cmd);
        ssh.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var model = stack.Load(r, console);
            var state = DesiredStateBuilder.Build(model);
            await using var shell = ssh.CreateShell(r);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            var token = Environment.GetEnvironmentVariable("CLOUDFLARE_API_TOKEN");
            var detector = new DriftDetector(shell, cloudflare: string.IsNullOrEmpty(token) ? null : new CloudflareDnsReader(http, token));
            var report = await detector.CheckAsync(model, state, new StderrProgress(console.Error), ct);
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { report.Stack, inSync = report.ExitCode == 0, report.DriftFound, report.UncheckedHosts, report.ExitCode, report.Items });
            else DriftPrinter.Print(console.Out, report, r.GetValue(all));
            return report.ExitCode;
        });
        return cmd;
    }
}
