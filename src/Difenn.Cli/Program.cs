using System.CommandLine;
using Difenn.Cli.Config;
using Difenn.Cli.Drift;
using Difenn.Cli.Infrastructure;
using Difenn.Cli.Keys;
using Difenn.Cli.Peers;
using Difenn.Cli.Plan;
using Difenn.Cli.Rotate;
using Difenn.Cli.Status;
using Difenn.Cli.Verify;

namespace Difenn.Cli;

/// <summary>Entry point of the <c>difenn</c> command-line tool.</summary>
public static class Program
{
    /// <summary>Builds the root command with every feature's commands registered (one line each).</summary>
    public static RootCommand BuildRootCommand(CliConsole console)
    {
        var root = new RootCommand("""
            difenn — keys, configs, plans, drift detection, key rotation, peers, status and checks for the Difenn WireGuard topology.

            Examples:
              difenn keys generate --out server.key
              difenn config check /etc/wireguard/wg0.conf
              difenn plan --stack prod
              difenn drift --stack prod
              difenn rotate server --stack prod --dry-run
              difenn verify --stack prod
              difenn status --stack prod
              difenn peer add phone --stack prod --secrets-dir ~/.difenn/secrets --qr
            """);
        root.Subcommands.Add(KeysCommand.Create(console));
        root.Subcommands.Add(ConfigCommand.Create(console));
        root.Subcommands.Add(PlanCommand.Create(console));
        root.Subcommands.Add(DriftCommand.Create(console));
        root.Subcommands.Add(RotateCommand.Create(console));
        root.Subcommands.Add(VerifyCommand.Create(console));
        root.Subcommands.Add(PeerCommand.Create(console));
        root.Subcommands.Add(StatusCommand.Create(console));
        return root;
    }

    /// <summary>Runs the CLI against <paramref name="console"/>; returns the exit code.</summary>
    public static int Run(string[] args, CliConsole console) => CliApp.Run(BuildRootCommand(console), args, console);

    /// <summary>Runs the CLI on the process's streams; returns the process exit code.</summary>
    public static int Main(string[] args) => Run(args, CliConsole.System);
}
