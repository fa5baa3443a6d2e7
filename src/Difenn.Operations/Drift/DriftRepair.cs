using Difenn.Operations.Remote;
using Difenn.Topology.Desired;
using Difenn.Topology.Secrets;

namespace Difenn.Operations.Drift;

/// <summary>What <see cref="DriftRepair"/> ran on one host.</summary>
/// <param name="Host">The host.</param>
/// <param name="Command">The desired state's command (as Pulumi names it).</param>
/// <param name="Ok">True when the script succeeded.</param>
/// <param name="Output">The script's last line (e.g. <c>repaired wg0 live</c>), or why it failed. Never a secret.</param>
public sealed record RepairStep(string Host, string Command, bool Ok, string Output);

/// <summary>
/// Brings drifted hosts back to the desired state after a hand change: runs, on every host that drift found out of
/// sync, the desired state's scripts for that host, in their order: exactly the scripts <c>pulumi up</c> runs. Pulumi
/// itself reruns a command only when its script changes (it cannot read a command's live state), so after a hand
/// change it repairs nothing; these scripts bring the live state, not only the files, to the desired state, and are
/// safe to run any number of times. The DNS record is not repaired here (it is Pulumi's: run <c>pulumi up</c>).
/// </summary>
/// <param name="shell">Reaches the hosts.</param>
/// <param name="secrets">The secrets the scripts need (the server's and routers' keys).</param>
/// <param name="progress">Hears every step.</param>
public sealed class DriftRepair(IRemoteShell shell, ISecretSource secrets, IProgress<string>? progress = null)
{
    /// <summary>How long to let a router reload after its script answered before drift is read again (default 5 s: it reloads 2 s after answering).</summary>
    public TimeSpan RouterSettle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The hosts of <paramref name="drift"/> with an item that drifted, is missing or unexpected, in deploy order.</summary>
    public static IReadOnlyList<HostState> DriftedHosts(DesiredState state, DriftReport drift)
    {
        var drifted = drift.Items.Where(i => i.Verdict is DriftVerdict.Drift or DriftVerdict.Missing or DriftVerdict.Unexpected).Select(i => i.Host).ToHashSet();
        return state.Hosts.Where(h => drifted.Contains(h.Name) && h.Commands.Count > 0).ToList();
    }

    /// <summary>
    /// Runs the scripts of every drifted host. A host's remaining scripts are skipped after one fails (they depend on
    /// it); the other hosts still run. Throws <see cref="MissingSecretException"/> before touching anything when a
    /// script needs a secret that the secret source lacks.
    /// </summary>
    public async Task<IReadOnlyList<RepairStep>> RepairAsync(DesiredState state, DriftReport drift, CancellationToken ct = default)
    {
        var hosts = DriftedHosts(state, drift);
        // Every script is revealed before the first one runs: a missing secret leaves nothing half-applied.
        var scripts = hosts.Select(h => (Host: h, Scripts: h.Commands.Select(c => (c.Name, Script: c.Create.Reveal(secrets))).ToList())).ToList();
        var steps = new List<RepairStep>();
        var routerRan = false;
        foreach (var (host, hostScripts) in scripts)
        {
            foreach (var (name, script) in hostScripts)
            {
                try
                {
                    var result = (await shell.RunAsync(host.Name, host.Connection, script, ct)).EnsureSuccess(host.Name, name);
                    steps.Add(new RepairStep(host.Name, name, true, RemoteResult.LastLine(result.StdOut)));
                    routerRan |= host.Role == "openwrt-peer";
                }
                catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
                {
                    steps.Add(new RepairStep(host.Name, name, false, ex.Message));
                    progress?.Report($"repair {host.Name}: {name}: FAILED: {ex.Message}");
                    break;
                }
                progress?.Report($"repair {host.Name}: {name}: {steps[^1].Output}");
            }
        }
        if (routerRan) await Task.Delay(RouterSettle, ct);
        return steps;
    }
}
