using System.CommandLine;

namespace Difenn.Cli;

/// <summary>Entry point of the <c>difenn</c> command-line tool.</summary>
public static class Program
{
    /// <summary>Builds the root command with every sub-command registered.</summary>
    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("difenn — keys, configs, plan, drift, rotation and checks for the Difenn WireGuard topology.");
        // Each feature folder contributes its commands here.
        return root;
    }

    /// <summary>Runs the CLI; returns the process exit code.</summary>
    public static int Main(string[] args) => BuildRootCommand().Parse(args).Invoke();
}
