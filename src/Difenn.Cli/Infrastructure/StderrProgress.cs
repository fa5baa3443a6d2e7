namespace Difenn.Cli.Infrastructure;

/// <summary>
/// Progress of long commands (drift, verify, rotate) as lines on stderr, written synchronously: <see cref="Progress{T}"/>
/// posts to the thread pool and could reorder lines from hosts checked in parallel.
/// </summary>
/// <param name="error">The stream (the console's stderr).</param>
internal sealed class StderrProgress(TextWriter error) : IProgress<string>
{
    public void Report(string value)
    {
        lock (error) error.WriteLine(value);
    }
}
