using Difenn.Operations.Remote;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Live;

/// <summary>Runs a probe script on a host (drift, status) and returns its output.</summary>
public static class ProbeRunner
{
    /// <summary>
    /// Runs <paramref name="script"/> on <paramref name="host"/>. The probes never fail on their own (every step
    /// tolerates a missing tool), so a non-zero exit is a hop that did not connect, e.g. the ssh from CT2914 to the
    /// router through the tunnel (exit 255): a <see cref="HostUnreachableException"/>.
    /// </summary>
    public static async Task<string> RunAsync(IRemoteShell shell, HostState host, string script, CancellationToken ct)
    {
        var result = await shell.RunAsync(host.Name, host.Connection, script, ct);
        if (result.ExitCode != 0)
            throw new HostUnreachableException(host.Name, $"{host.Name}: the probe did not run via {host.Connection} (exit {result.ExitCode}): {RemoteResult.LastLine(result.StdErr)}");
        return result.StdOut;
    }
}
