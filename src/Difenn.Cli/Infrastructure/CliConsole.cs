namespace Difenn.Cli.Infrastructure;

/// <summary>The streams a command reads and writes; tests pass their own to run the CLI in-process.</summary>
/// <param name="In">Standard input.</param>
/// <param name="Out">Standard output: results only (what scripts parse).</param>
/// <param name="Error">Standard error: diagnostics, progress and error messages.</param>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    /// <summary>The process's own standard streams.</summary>
    public static CliConsole System => new(Console.In, Console.Out, Console.Error);
}
