using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Remote;
using Difenn.Cli.Stacks;
using Difenn.Operations.Drift;
using Difenn.Topology.Desired;
using Difenn.Topology.Secrets;

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
        var repair = new Option<bool>("--repair")
        {
            Description = "When drift is found, run the drifted hosts' desired-state scripts (the ones `pulumi up` runs) over SSH, then check again. Needs the secrets (--secrets-dir or DIFENN_SECRET_<name>).",
        };
        var cmd = new Command("drift", """
            Read every host of the stack over SSH and compare it with the desired state: CT2914's wg0 (live interface
            and config file: listen port, address, public key of the live private key, each peer's key, allowed IPs,
            keepalive, preshared key), hub2's UFW rules for the relay ports, relay containers, legacy socat containers
            and what listens on the relay ports, the XE300's uci values and live interface, and the DNS record
            (resolved; and read from Cloudflare when CLOUDFLARE_API_TOKEN is set). Read-only: nothing is changed.
            Keys are compared by public key; no secret is read off a host or printed.

            Exit: 0 in sync; 2 drift found (even if some host could not be checked); 1 nothing drifted but some host
            could not be checked (each unreachable host is reported, the others are still checked); 2 also for a usage error.
            With --repair the exit code is that of the check after the repair (0: the repair converged).

            --repair: after a hand change (a peer added with `wg set`, wg0.conf chmod 644, `ufw disable`, a relay
            container stopped...), runs on each drifted host the same scripts `pulumi up` runs, in the same order. Those
            scripts bring the live state to the desired state; `pulumi up` alone does not rerun them, because it reruns
            a command only when its script changes. The DNS record is not repaired here: run `pulumi up`.

            Examples:
              difenn drift --stack prod
              difenn drift --stack prod --json > drift.json
              difenn drift --stack prod --identity ~/.ssh/difenn_ed25519 --known-hosts ./known_hosts --all
              difenn drift --stack prod --repair --secrets-dir ~/.difenn/secrets
            """) { json, all, repair };
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
            var progress = new StderrProgress(console.Error);
            var report = await detector.CheckAsync(model, state, progress, ct);
            IReadOnlyList<RepairStep>? repaired = null;
            if (r.GetValue(repair) && report.DriftFound)
            {
                if (!r.GetValue(json)) DriftPrinter.Print(console.Out, report, r.GetValue(all));
                try
                {
                    repaired = await new DriftRepair(shell, stack.Secrets(r), progress).RepairAsync(state, report, ct);
                }
                catch (MissingSecretException ex)
                {
                    throw new UsageException($"--repair: {ex.Message}: nothing was changed");
                }
                if (!r.GetValue(json))
                {
                    console.Out.WriteLine(repaired.Count == 0 ? "repair: no drifted host has scripts to run (DNS: run pulumi up)" : "repair:");
                    foreach (var step in repaired) console.Out.WriteLine($"  {step.Host} {step.Command}: {(step.Ok ? step.Output : "FAILED: " + step.Output)}");
                    console.Out.WriteLine("after the repair:");
                }
                var cutOff = report.UncheckedHosts.ToHashSet();
                report = await detector.CheckAsync(model, state, progress, ct);
                // A router cut off by the drift (a stopped relay, a changed listen port) was not repaired (it could not
                // be read) and comes back by itself with its next keepalive once the path is repaired: wait up to one
                // keepalive interval for it, rather than report a tunnel that is about to come back as down.
                var waiting = model.Peers.Where(p => cutOff.Contains(p.Name) && report.UncheckedHosts.Contains(p.Name)).ToList();
                if (repaired.Count > 0 && waiting.Count > 0)
                {
                    var wait = TimeSpan.FromSeconds(waiting.Max(p => p.Keepalive) + 10);
                    var deadline = DateTime.UtcNow + wait;
                    progress.Report($"waiting up to {wait.TotalSeconds:0}s for {string.Join(", ", waiting.Select(p => p.Name))} to come back through the repaired path (its next keepalive)");
                    while (waiting.Any(p => report.UncheckedHosts.Contains(p.Name)) && DateTime.UtcNow < deadline)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(5), ct);
                        report = await detector.CheckAsync(model, state, progress, ct);
                    }
                }
            }
            if (r.GetValue(json)) JsonOutput.Write(console.Out, new { report.Stack, inSync = report.ExitCode == 0, report.DriftFound, report.UncheckedHosts, report.ExitCode, report.Items, repaired });
            else DriftPrinter.Print(console.Out, report, r.GetValue(all));
            return report.ExitCode;
        });
        return cmd;
    }
}
