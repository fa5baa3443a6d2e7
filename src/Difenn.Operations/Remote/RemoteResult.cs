namespace Difenn.Operations.Remote;

/// <summary>What a remote script printed and how it exited.</summary>
/// <param name="ExitCode">The script's exit status (the remote shell's).</param>
/// <param name="StdOut">Standard output.</param>
/// <param name="StdErr">Standard error.</param>
public sealed record RemoteResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Throws <see cref="RemoteCommandException"/> naming <paramref name="what"/> and the last line of stderr when the exit code is not 0.</summary>
    public RemoteResult EnsureSuccess(string host, string what)
    {
        if (ExitCode == 0) return this;
        var detail = LastLine(StdErr);
        throw new RemoteCommandException(host, $"{what} failed on {host} (exit {ExitCode}){(detail.Length > 0 ? ": " + detail : "")}", this);
    }

    /// <summary>The last non-blank line of <paramref name="text"/>, trimmed (what a script or tool said last); "" when none.</summary>
    public static string LastLine(string text) => text.Trim().Split('\n')[^1].Trim();
}

/// <summary>A host could not be reached or refused us: no connection, authentication failed, host key not trusted.</summary>
/// <param name="host">The host (as the stack names it).</param>
/// <param name="message">What went wrong and what to do about it.</param>
/// <param name="inner">The underlying error, if any.</param>
public sealed class HostUnreachableException(string host, string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The host.</summary>
    public string Host { get; } = host;
}

/// <summary>A remote script ran but failed. Its message never contains the script (which may carry secrets).</summary>
/// <param name="host">The host.</param>
/// <param name="message">What failed.</param>
/// <param name="result">The script's result.</param>
public sealed class RemoteCommandException(string host, string message, RemoteResult result) : Exception(message)
{
    /// <summary>The host.</summary>
    public string Host { get; } = host;

    /// <summary>The failed script's result.</summary>
    public RemoteResult Result { get; } = result;
}
