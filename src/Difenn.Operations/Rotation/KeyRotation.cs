using System.Globalization;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;

namespace Difenn.Operations.Rotation;

/// <summary>
/// Runs a <see cref="RotationPlan"/> in the order that keeps the routers reachable. A router is reachable only
/// through the tunnel being re-keyed, so it changes first, under its rollback timer (if no handshake follows, it
/// restores its previous config by itself); then the server changes through px3 (independent of the tunnel); then
/// the new handshake is confirmed on the server. On failure the server is put back and the routers' timers bring
/// them back; the report says where each host stands. The new secret is staged before any host is touched and
/// committed only once confirmed. No key is ever printed.
/// </summary>
/// <param name="shell">Reaches the hosts.</param>
/// <param name="secrets">The current secrets (needed to put the server back).</param>
/// <param name="store">Where the new secret goes.</param>
/// <param name="progress">Hears every step as it happens (the rotation log).</param>
public sealed class KeyRotation(IRemoteShell shell, ISecretSource secrets, ISecretStore store, IProgress<string>? progress = null)
{
    /// <summary>How often the server's handshakes are polled (default 1 s).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Extra time, after a router's rollback timer fires, for it to reload and handshake again (default 40 s).</summary>
    public TimeSpan RollbackGrace { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>The steps, in order, without touching anything (for <c>--dry-run</c>).</summary>
    public static IReadOnlyList<string> Steps(RotationPlan plan)
    {
        var before = DesiredStateBuilder.Build(plan.Before);
        var server = before.Hosts.Single(h => h.Role == "server");
        var steps = new List<string>
        {
            $"check that {server.Name} (via {server.Connection}) and {string.Join(", ", plan.Routers.Select(r => r.Name))} (through the tunnel) answer; abort otherwise",
            $"generate the new {Describe(plan)} and stage it as '{plan.SecretName}' (pending) in the secret store",
        };
        steps.AddRange(plan.Routers.Select(r =>
            $"{r.Name}: apply the new uci config through the tunnel, rollback timer {r.OpenWrt!.RollbackSeconds}s armed before the reload (no handshake → it restores its previous config by itself)"));
        if (plan.Target == RotationTarget.ServerKey)
            steps.Add($"{plan.Before.Hub.Name}: restart the relay accepting the new and the previous server key (its MAC1 gate); the routers are already retrying their handshake");
        steps.Add($"{server.Name}: write the new {server.Files[0].Path} and apply it live (wg syncconf)");
        steps.Add($"confirm on {server.Name} a new handshake with {string.Join(", ", plan.Routers.Select(r => r.Name))} before the rollback timer fires");
        steps.Add($"success: commit '{plan.SecretName}'" + (plan.OldPublicKey is null ? "" : $", replace {plan.OldPublicKey} with the new public key in {plan.Before.SourceFile}")
            + (plan.Target == RotationTarget.ServerKey ? " and list it under server.previousPublicKeys" : ""));
        steps.Add($"failure: put {server.Name} back on its current config, let the routers' timers restore theirs, confirm the old handshake, discard the staged secret");
        if (plan.UnmanagedPeers.Count > 0)
            steps.Add($"by hand afterwards: give {string.Join(", ", plan.UnmanagedPeers.Select(p => p.Name))} the new server public key");
        return steps;
    }

    /// <summary>Runs the rotation; edits <paramref name="stackFile"/> (the public key) on success when given.</summary>
    public async Task<RotationReport> RunAsync(RotationPlan plan, string? stackFile, CancellationToken ct = default)
    {
        var rollbackTarget = plan.Target == RotationTarget.PresharedKey && !secrets.TryGet(plan.SecretName, out _)
            ? plan.Before with { Peers = plan.Before.Peers.Select(p => p.PresharedKey?.Name == plan.SecretName ? p with { PresharedKey = null } : p).ToList() }
            : plan.Before;
        var before = DesiredStateBuilder.Build(rollbackTarget);
        var after = DesiredStateBuilder.Build(plan.After);
        var server = after.Hosts.Single(h => h.Role == "server");
        var routers = plan.Routers.Select(r => after.Host(r.Name)).ToList();
        var newSecrets = new OverlaySecretSource(secrets, plan.SecretName, plan.NewSecret);
        var warnings = plan.UnmanagedPeers.Select(p => $"peer {p.Name} is not managed by difenn: set its server public key to {plan.NewPublicKey} by hand").ToList();
        Log($"rotating the {Describe(plan)} ('{plan.SecretName}')" + (plan.NewPublicKey is null ? "" : $": {plan.OldPublicKey} → {plan.NewPublicKey}"));

        // 1. Preflight: nothing is touched unless every host answers now, and the server can be put back.
        var missing = before.SecretNames.Concat(after.SecretNames).Distinct().Where(n => n != plan.SecretName && !secrets.TryGet(n, out _)).ToList();
        if (missing.Count > 0)
            return Fail(plan, $"secret(s) {string.Join(", ", missing)} missing in {secrets.Description}: nothing was changed", [], warnings);
        // The keys staying as they are must match the stack: a mismatched pair would leave a host on a key no peer expects.
        var mismatched = KeyPairCheck.Mismatches(plan.Before, secrets, skip: [plan.SecretName]);
        if (mismatched.Count > 0)
            return Fail(plan, string.Join("; ", mismatched) + ": nothing was changed", [], warnings);
        long t0;
        try
        {
            t0 = (await ServerHandshakesAsync(server, ct)).Now;
            foreach (var r in routers)
                (await shell.RunAsync(r.Name, r.Connection, "echo reachable\n", ct)).EnsureSuccess(r.Name, "reaching the router through the tunnel");
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException)
        {
            return Fail(plan, $"preflight failed, nothing was changed: {ex.Message}", [], warnings);
        }
        Log($"preflight: {server.Name} and {string.Join(", ", routers.Select(r => r.Name))} answer");

        // 2. Stage the new secret before any host can depend on it.
        await store.StageAsync(plan.SecretName, plan.NewSecret, ct);
        Log($"staged the new '{plan.SecretName}' in {store.Description}");

        // 3. Routers first, each armed with its rollback timer, while the tunnel still works.
        var changed = new List<HostState>();
        foreach (var r in routers)
        {
            try
            {
                var result = await shell.RunAsync(r.Name, r.Connection, r.Commands.Single().Create.Reveal(newSecrets), ct);
                result.EnsureSuccess(r.Name, "applying the new router config");
                Log($"{r.Name}: {RemoteResult.LastLine(result.StdOut)}");
                changed.Add(r);
            }
            catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
            {
                Log($"{r.Name}: FAILED: {ex.Message}");
                await store.DiscardAsync(plan.SecretName, ct);
                var routerOutcomes = routers.Select(x => changed.Contains(x)
                    ? new HostOutcome(x.Name, "changed; its rollback timer restores the previous config unless a handshake follows", null)
                    : new HostOutcome(x.Name, x == r ? $"apply failed ({ex.Message}); check it by hand" : "unchanged", x == r ? null : false));
                return Fail(plan, $"{r.Name} could not be changed; the server was not touched", [.. routerOutcomes, new(server.Name, "unchanged", false)], warnings);
            }
        }
        // Handshakes are compared on the server's clock. The routers reload 2 s after answering; once they have,
        // only the new configuration can handshake.
        await Task.Delay(RouterReloadDelay, ct);
        var routersChanged = await ServerClockAsync(server, t0, ct);

        // 4. A new server key: the relay's MAC1 gate must let the routers' initiations for the new key through, and
        //    still those for the old key should the rotation fail and their timers restore the old config. The routers
        //    already retry their handshake every 5 s, so the relay's restart costs nothing more.
        if (plan.Target == RotationTarget.ServerKey && await ApplyRelayAsync(after, "accepting the new and the previous server key", ct) is { } transitionError)
            warnings.Add($"the relay on {plan.Before.Hub.Name} could not be changed ({transitionError}): it may drop the new key's handshakes");

        // 5. The server, through px3.
        string? serverError = null;
        try
        {
            var result = await shell.RunAsync(server.Name, server.Connection, server.Commands.Single().Create.Reveal(newSecrets), ct);
            result.EnsureSuccess(server.Name, "applying the new server config");
            Log($"{server.Name}: {RemoteResult.LastLine(result.StdOut)}");
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            serverError = ex.Message;
            Log($"{server.Name}: FAILED: {ex.Message}");
        }

        // 6. Confirm the new handshake before the first router's timer would fire.
        if (serverError is null)
        {
            var window = TimeSpan.FromSeconds(routers.Min(r => plan.After.Peers.Single(p => p.Name == r.Name).OpenWrt!.RollbackSeconds) - 5);
            Log($"waiting up to {window.TotalSeconds:0}s for a new handshake on {server.Name}");
            var confirmed = await TryWaitForHandshakesAsync(server, plan.After, routers, routersChanged, window, ct);
            if (confirmed is not null)
            {
                await store.CommitAsync(plan.SecretName, ct);
                if (stackFile is not null && plan.Target == RotationTarget.ServerKey) StackFileEditor.RotateServerKey(stackFile, plan.OldPublicKey!, plan.NewPublicKey!);
                else if (stackFile is not null && plan.OldPublicKey is not null) StackFileEditor.ReplaceKey(stackFile, plan.OldPublicKey, plan.NewPublicKey!);
                Log($"confirmed: {confirmed}; committed '{plan.SecretName}'" + (stackFile is not null && plan.OldPublicKey is not null ? $", updated {stackFile}" : ""));
                var ok = routers.Select(r => new HostOutcome(r.Name, "new config; handshake confirmed (its rollback timer stands down)", true)).ToList();
                ok.Add(new(server.Name, $"new config live; {confirmed}", true));
                return new RotationReport(plan.Target, plan.SecretName, true, plan.OldPublicKey, plan.NewPublicKey, ok, warnings);
            }
            Log($"no new handshake within {window.TotalSeconds:0}s: rolling back");
            var back = before.Hosts.Single(h => h.Role == "server");
            try
            {
                var result = await shell.RunAsync(back.Name, back.Connection, back.Commands.Single().Create.Reveal(secrets), ct);
                result.EnsureSuccess(back.Name, "restoring the server config");
                Log($"{server.Name}: restored: {RemoteResult.LastLine(result.StdOut)}");
            }
            catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
            {
                serverError = $"could not be restored ({ex.Message}): it runs the NEW config; restore it by hand with the current '{plan.SecretName}'";
            }
        }

        // 7. Failure: the routers' timers restore their previous config; confirm the old handshake comes back.
        await store.DiscardAsync(plan.SecretName, ct);
        if (plan.Target == RotationTarget.ServerKey && await ApplyRelayAsync(before, "back on the old server key", ct) is { } undoError)
            warnings.Add($"the relay on {plan.Before.Hub.Name} still accepts the new server key too ({undoError}); run pulumi up");
        Log($"discarded the staged '{plan.SecretName}'");
        var deadline = TimeSpan.FromSeconds(routers.Max(r => plan.Before.Peers.Single(p => p.Name == r.Name).OpenWrt!.RollbackSeconds)) + RollbackGrace;
        Log($"waiting up to {deadline.TotalSeconds:0}s for the routers' rollback timers and the old handshake");
        var back2 = await TryWaitForHandshakesAsync(server, rollbackTarget, before.Hosts.Where(h => routers.Any(r => r.Name == h.Name)).ToList(), routersChanged, deadline, ct);
        var outcomes = routers.Select(r => back2 is not null
            ? new HostOutcome(r.Name, "back on its previous config (restored by its rollback timer); handshake confirmed", false)
            : new HostOutcome(r.Name, "its rollback timer should have restored the previous config, but no handshake was seen; check it (difenn verify)", null)).ToList();
        // The server's state is reported from evidence: the old handshake working again proves the old config.
        outcomes.Add(serverError switch
        {
            null => new HostOutcome(server.Name, back2 is not null ? "back on its previous config; old handshake confirmed" : "put back on its previous config", false),
            _ when serverError.StartsWith("could not be restored", StringComparison.Ordinal) => new HostOutcome(server.Name, serverError, true),
            _ when back2 is not null => new HostOutcome(server.Name, $"apply failed ({serverError}); still on its previous config (the old handshake works)", false),
            _ => new HostOutcome(server.Name, $"apply failed ({serverError}); state unknown: check it with difenn drift", null),
        });
        Log(back2 is not null ? $"rolled back: {back2}" : "rollback not confirmed");
        return new RotationReport(plan.Target, plan.SecretName, false, plan.OldPublicKey, plan.NewPublicKey, outcomes, warnings);
    }

    private RotationReport Fail(RotationPlan plan, string why, IReadOnlyList<HostOutcome> hosts, IReadOnlyList<string> warnings)
    {
        Log($"FAILED: {why}");
        return new RotationReport(plan.Target, plan.SecretName, false, plan.OldPublicKey, plan.NewPublicKey, hosts, warnings);
    }

    /// <summary>How long after answering a router reloads its network (the apply script's 2 s, plus a margin; default 3 s).</summary>
    public TimeSpan RouterReloadDelay { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Runs the hub's relay command of <paramref name="state"/>; returns null on success, else why it failed.</summary>
    private async Task<string?> ApplyRelayAsync(DesiredState state, string what, CancellationToken ct)
    {
        var hub = state.Hosts.Single(h => h.Role == "hub");
        var relay = hub.Commands.Single(c => c.Name == $"{hub.Name}-relay");
        try
        {
            var result = await shell.RunAsync(hub.Name, hub.Connection, relay.Create.Reveal(secrets), ct);
            result.EnsureSuccess(hub.Name, "restarting the relay");
            Log($"{hub.Name}: relay {what}");
            return null;
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            Log($"{hub.Name}: FAILED: {ex.Message}");
            return ex.Message;
        }
    }

    /// <summary><see cref="WaitForHandshakesAsync"/>, with a server that cannot be read counted as "not seen".</summary>
    private async Task<string?> TryWaitForHandshakesAsync(HostState server, Stack stack, IReadOnlyList<HostState> routers, long since, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            return await WaitForHandshakesAsync(server, stack, routers, since, timeout, ct);
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException)
        {
            Log($"could not watch {server.Name}: {ex.Message}");
            return null;
        }
    }

    /// <summary>Polls until every router's peer on the server has a handshake newer than <paramref name="since"/> (server clock).</summary>
    private async Task<string?> WaitForHandshakesAsync(HostState server, Stack stack, IReadOnlyList<HostState> routers, long since, TimeSpan timeout, CancellationToken ct)
    {
        var keys = routers.ToDictionary(r => r.Name, r => stack.Peers.Single(p => p.Name == r.Name).PublicKey.ToBase64());
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var (now, handshakes) = await ServerHandshakesAsync(server, ct);
            if (keys.All(k => handshakes.TryGetValue(k.Value, out var t) && t > since))
                return string.Join(", ", keys.Select(k => $"handshake with {k.Key} {now - handshakes[k.Value]}s ago"));
            await Task.Delay(PollInterval, ct);
        }
        return null;
    }

    /// <summary>The server's clock now, or <paramref name="fallback"/> when it cannot be read.</summary>
    private async Task<long> ServerClockAsync(HostState server, long fallback, CancellationToken ct)
    {
        try
        {
            return (await ServerHandshakesAsync(server, ct)).Now;
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException)
        {
            Log($"{server.Name}: could not read its clock ({ex.Message})");
            return fallback;
        }
    }

    /// <summary>The server's clock and latest handshake per peer public key (0 = never).</summary>
    private async Task<(long Now, Dictionary<string, long> Handshakes)> ServerHandshakesAsync(HostState server, CancellationToken ct)
    {
        var iface = server.WireGuard!.Name;
        var result = (await shell.RunAsync(server.Name, server.Connection, $"date +%s\nwg show {Sh.Quote(iface)} latest-handshakes\n", ct)).EnsureSuccess(server.Name, $"wg show {iface}");
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var now = long.Parse(lines[0].Trim(), CultureInfo.InvariantCulture);
        var handshakes = lines.Skip(1).Select(l => l.Split('\t')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
        return (now, handshakes);
    }

    private void Log(string line) => progress?.Report($"{DateTime.UtcNow:HH:mm:ss} {line}");


    private static string Describe(RotationPlan plan) => plan.Target switch
    {
        RotationTarget.ServerKey => "server key",
        RotationTarget.PeerKey => $"key of {plan.Routers[0].Name}",
        _ => $"preshared key of {plan.Routers[0].Name}",
    };
}
