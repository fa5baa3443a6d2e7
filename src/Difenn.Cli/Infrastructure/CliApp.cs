using System.CommandLine;

namespace Difenn.Cli.Infrastructure;

/// <summary>
/// Runs a command line: parse errors become exit 2 with the problem and a pointer to <c>--help</c> on stderr;
/// <see cref="UsageException"/> → 2, <see cref="CommandFailedException"/> → 1, both as one clean line (no stack
/// trace: messages are written so they never contain a secret).
/// </summary>
public static class CliApp
{
    /// <summary>Parses and invokes <paramref name="args"/> against <paramref name="root"/>.</summary>
    public static int Run(RootCommand root, string[] args, CliConsole console)
    {
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var e in result.Errors) console.Error.WriteLine($"difenn: {e.Message}");
            var path = string.Join(' ', CommandPath(result.CommandResult));
            console.Error.WriteLine($"Run '{path} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { Output = console.Out, Error = console.Error, EnableDefaultExceptionHandler = false });
        }
        catch (UsageException ex)
        {
            console.Error.WriteLine($"difenn: {ex.Message}");
            return ExitCodes.Usage;
        }
        catch (CommandFailedException ex)
        {
            console.Error.WriteLine($"difenn: {ex.Message}");
            return ExitCodes.Problems;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException
                                       or NotSupportedException or FormatException or Difenn.Topology.Secrets.MissingSecretException)
        {
            // Anything a command did not turn into a clean error itself (a file that is a directory, a secret file
            // others can read, ...): still one line and exit 1, never a stack trace. The message only, as a trace
            // would have printed it too; the type name says where to look.
            console.Error.WriteLine($"difenn: {ex.Message.ReplaceLineEndings(" ")} ({ex.GetType().Name})");
            return ExitCodes.Problems;
        }
    }

    private static IEnumerable<string> CommandPath(System.CommandLine.Parsing.CommandResult? r)
    {
        var names = new Stack<string>();
        for (var c = r; c is not null; c = c.Parent as System.CommandLine.Parsing.CommandResult)
            names.Push(c.Parent is null ? "difenn" : c.Command.Name);
        return names;
    }
}
