using Difenn.Topology.Desired;

namespace Difenn.Operations.Remote;

/// <summary>
/// Runs a shell script on a host of the topology. The script always travels on stdin to
/// <see cref="HostConnection.ShellCommand"/> (never on a command line, where <c>ps</c> and logs would see it).
/// </summary>
public interface IRemoteShell : IAsyncDisposable
{
    /// <summary>
    /// Runs <paramref name="script"/> on <paramref name="connection"/>. Throws <see cref="HostUnreachableException"/>
    /// when the host cannot be reached or authenticated; otherwise returns the result, whatever the exit code.
    /// </summary>
    /// <param name="hostName">The host's name in the stack, for messages.</param>
    /// <param name="connection">How to reach it.</param>
    /// <param name="script">The script (may hold secrets: never logged).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    Task<RemoteResult> RunAsync(string hostName, HostConnection connection, string script, CancellationToken cancellationToken = default);
}
