using System.CommandLine;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Remote;
using Difenn.Cli.Stacks;
using Difenn.Operations.Status;
using Difenn.Topology.Desired;

namespace Difenn.Cli.Status;

/// <summary><c>difenn status</c>: the whole topology at a glance, like <c>tailscale status</c>.</summary>
public static class StatusCommand
{
    /// <summary>Creates the <c>status</c> command.</summary>
    public static Command Create(CliConsole console)
    {
        var stack = new StackOptions();
        var ssh = new SshCliOptions();
        var json = JsonOutput.CreateOption();
        var cmd = new Command("status", """
            One screen: each peer with its VPN address, latest handshake age, the endpoint the server sees, the relay
            port it came through (primary or fallback), transfer and keepalive; each relay listener's sessions, drops by
            reason and backend errors (its metrics, read on the hub over the same SSH); the DNS answer. Hosts are read in
            parallel with a progress line each on stderr; an unreachable host is shown as such and the rest still listed.
            Read-only; no key is read off a host or printed.

            Exit: 0 every host read; 1 some host could not be read (shown); 2 usage error.

            Examples:
              difenn status --stack prod
              difenn status --stack prod --json | jq '.peers[] | {name, handshakeAgeSeconds}'
            """) { json };
        stack.AddTo(cmd);
        ssh.AddTo(cmd);
        cmd.SetAction(async (r, ct) =>
        {
            var model = stack.Load(r, console);
            await using var shell = ssh.CreateShell(r);
            var report = await new StatusReader(shell).ReadAsync(model, DesiredStateBuilder.Build(model), new StderrProgress(console.Error), ct);
            if (r.GetValue(json)) JsonOutput.Write(console.Out, report);
            else StatusPrinter.Print(console.Out, report);
            return report.AllRead ? ExitCodes.Ok : ExitCodes.Problems;
        });
        return cmd;
    }
}
