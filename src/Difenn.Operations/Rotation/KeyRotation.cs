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

    /// <summary>Extra time, after a router's rollback timer fires, for it to restart its interface and handshake again (default 40 s).</summary>
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
        if (plan.Target == RotationTarget.ServerKey)
            steps.Add($"{plan.Before.Hub.Name}: the relays accept the new and the previous server key (their MAC1 gate's keys file, re-read without a restart)");
        steps.AddRange(plan.Routers.Select(r =>
            $"{r.Name}: commit the new uci config through the tunnel, rollback timer {r.OpenWrt!.RollbackSeconds}s armed; the new config goes live when told (at most 10 s later); no handshake → it restores its previous config by itself"));
        steps.Add($"{server.Name}: at once, tell {string.Join(", ", plan.Routers.Select(r => r.Name))} to switch 1 s later (through the tunnel, from {server.Name}), write the new {server.Files[0].Path} and apply it live (wg syncconf): the server changes first, the router's handshake right after meets it");
        steps.Add($"confirm: a new handshake seen on {server.Name} well before a router's timer decides; otherwise, once it has decided, ask the router through the tunnel what it decided");
        steps.Add($"success: commit '{plan.SecretName}'" + (plan.OldPublicKey is null ? "" : $", replace {plan.OldPublicKey} with the new public key in {plan.Before.SourceFile}")
            + (plan.Target == RotationTarget.ServerKey ? " and list it under server.previousPublicKeys" : ""));
        steps.Add($"failure (no new handshake by the routers' decisions, so their timers restore their previous config): only then put {server.Name} back, confirm the old handshake, discard the staged secret (kept while any host may run it)");
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
        var preflightAt = DateTime.UtcNow;
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

        // 3. A new server key: the relay's MAC1 gate must let the new key's initiations through, and still the old
        //    key's should the rotation fail and the routers' timers restore the old config. Done first, while the tunnel
        //    still runs on the old key: the relays re-read their keys file without a restart (the hub script waits until
        //    each has it in force), so nothing is cut.
        if (plan.Target == RotationTarget.ServerKey && await ApplyRelayAsync(after, "accepting the new and the previous server key", ct) is { } transitionError)
            warnings.Add($"the relay on {plan.Before.Hub.Name} could not be changed ({transitionError}): it may drop the new key's handshakes");

        // 4. Routers first, each armed with its rollback timer, while the tunnel still works. Each router decides at its
        //    timer (armed before its apply answered): keep the new config if it saw a handshake, else restore the old one.
        //    The CLI's own deadline for a router is therefore after that decision, never before it.
        var changed = new List<HostState>();
        var earliest = new Dictionary<string, DateTime>();
        var latest = new Dictionary<string, DateTime>();
        foreach (var r in routers)
        {
            try
            {
                var rollback = TimeSpan.FromSeconds(RollbackSecondsOf(plan.After, r.Name));
                earliest[r.Name] = DateTime.UtcNow + rollback; // its timer is armed after the script starts...
                // The router waits up to SwitchWait for the server step to tell it to switch (else it switches by itself).
                var script = $"{OpenWrtRenderer.SwitchWaitVariable}={(int)SwitchWait.TotalSeconds}\n" + r.Commands.Single().Create.Reveal(newSecrets);
                var result = await shell.RunAsync(r.Name, r.Connection, script, ct);
                result.EnsureSuccess(r.Name, "applying the new router config");
                latest[r.Name] = DateTime.UtcNow + rollback; // ...and before it answers
                Log($"{r.Name}: {RemoteResult.LastLine(result.StdOut)}");
                changed.Add(r);
            }
            catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
            {
                Log($"{r.Name}: FAILED: {ex.Message}");
                await store.DiscardAsync(plan.SecretName, ct);
                if (plan.Target == RotationTarget.ServerKey && await ApplyRelayAsync(before, "back on the old server key", ct) is { } relayBack)
                    warnings.Add($"the relay on {plan.Before.Hub.Name} still accepts the new server key too ({relayBack}); run pulumi up");
                var routerOutcomes = routers.Select(x => changed.Contains(x)
                    ? new HostOutcome(x.Name, "changed; its rollback timer restores the previous config unless a handshake follows", null)
                    : new HostOutcome(x.Name, x == r ? $"apply failed ({ex.Message}); check it by hand" : "unchanged", x == r ? null : false));
                return Fail(plan, $"{r.Name} could not be changed; the server was not touched", [.. routerOutcomes, new(server.Name, "unchanged", false)], warnings);
            }
        }

        // 5. The server at once, in one session (a round trip counts: the tunnel is down from the first of the two
        //    changes to the handshake after the second): each router told to switch a second later, the last
        //    handshakes before the change, the new config, then a packet to each router (should a router not told
        //    have switched first, the server starts the handshake). The router switching after the server starts the
        //    handshake itself, and it meets the new config. Before the change no new-config handshake is possible,
        //    so any handshake of a router's new key newer than the one read here is with the new config.
        var afterKeys = routers.ToDictionary(r => r.Name, r => PeerKey(plan.After, r.Name));
        string? serverError = null;
        RemoteResult? serverResult = null;
        try
        {
            serverResult = await shell.RunAsync(server.Name, server.Connection, ServerStepScript(server, plan, routers, server.Commands.Single().Create.Reveal(newSecrets)), ct);
            serverResult.EnsureSuccess(server.Name, "applying the new server config");
            Log($"{server.Name}: {RemoteResult.LastLine(serverResult.StdOut)}; handshake started");
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            serverError = ex.Message;
            Log($"{server.Name}: FAILED: {ex.Message}");
        }
        var baseline = serverResult is null ? null : ParseBaseline(serverResult.StdOut);
        var lastBefore = routers.ToDictionary(r => r.Name, r => baseline?.GetValueOrDefault(afterKeys[r.Name])
            ?? t0 + (long)(DateTime.UtcNow - preflightAt).TotalSeconds - 1); // not read: its clock estimated from the preflight

        // 6. Confirm without ever deciding differently from a router. A handshake the server saw well before a router's
        //    timer can decide is one the router saw too: it keeps the new config. Otherwise the CLI waits until that
        //    router's timer has decided (plus a margin) and asks the router itself, through the tunnel: reachable and
        //    "kept" means it runs the new config; unreachable means it restored its old one (with the server on the new
        //    config, a router that kept it would answer). The server is put back only then.
        var lastDecision = latest.Values.Max() + DecisionMargin;
        Log($"watching {server.Name} for a new handshake; if none comes early, the routers' rollback timers decide and are asked (within {(lastDecision - DateTime.UtcNow).TotalSeconds:0}s)");
        var seen = await WatchAsync(server, afterKeys, lastBefore, routers.ToDictionary(r => r.Name, r => earliest[r.Name] - EarlyConfirmGuard), lastDecision, ct);
        var decisions = new Dictionary<string, RouterDecision>();
        foreach (var r in routers)
            decisions[r.Name] = seen.TryGetValue(r.Name, out var early) && early.Early
                ? new RouterDecision(true, $"new config; handshake confirmed {early.Age}s ago, before its rollback timer decided (it keeps the new config)")
                : await AskRouterAsync(r, latest[r.Name] + DecisionMargin, serverError is null, ct);
        var confirmed = routers.Where(r => decisions[r.Name].OnNewConfig == true).ToList();
        var unknownRouters = routers.Where(r => decisions[r.Name].OnNewConfig is null).ToList();

        if (confirmed.Count == routers.Count)
        {
            await store.CommitAsync(plan.SecretName, ct);
            if (stackFile is not null && plan.Target == RotationTarget.ServerKey) StackFileEditor.RotateServerKey(stackFile, plan.OldPublicKey!, plan.NewPublicKey!);
            else if (stackFile is not null && plan.OldPublicKey is not null) StackFileEditor.ReplaceKey(stackFile, plan.OldPublicKey, plan.NewPublicKey!);
            Log($"confirmed: {string.Join("; ", routers.Select(r => $"{r.Name}: {decisions[r.Name].State}"))}; committed '{plan.SecretName}'" + (stackFile is not null && plan.OldPublicKey is not null ? $", updated {stackFile}" : ""));
            if (serverError is not null)
                warnings.Add($"{server.Name}'s apply reported a failure ({serverError}) but the new config works: run difenn drift");
            var ok = routers.Select(r => new HostOutcome(r.Name, decisions[r.Name].State, true)).ToList();
            ok.Add(new(server.Name, "new config live; handshake confirmed", true));
            return new RotationReport(plan.Target, plan.SecretName, true, plan.OldPublicKey, plan.NewPublicKey, ok, warnings);
        }

        // A router whose decision is unknown: putting the server back could strand it as surely as leaving it.
        if (unknownRouters.Count > 0)
        {
            Log($"could not tell what {string.Join(", ", unknownRouters.Select(r => r.Name))} decided: leaving every host as it is; the new key stays staged");
            warnings.Add($"the new '{plan.SecretName}' is kept staged in {store.Description}: a host may run it; check with difenn verify and difenn drift, then commit or discard it by hand");
            var unknown = routers.Select(r => new HostOutcome(r.Name, decisions[r.Name].State, decisions[r.Name].OnNewConfig)).ToList();
            unknown.Add(new(server.Name, serverError is null ? "new config live (left as it is: a router may run it)" : $"apply failed ({serverError}); state unknown", serverError is null ? true : null));
            return Fail(plan, "what the routers decided could not be confirmed", unknown, warnings);
        }

        // Some routers confirmed, others not: putting the server back would cut the confirmed ones off.
        if (confirmed.Count > 0)
        {
            warnings.Add($"the new '{plan.SecretName}' is kept staged in {store.Description}: {string.Join(", ", confirmed.Select(r => r.Name))} and {server.Name} run it; commit it once the others are fixed");
            var mixed = routers.Select(r => new HostOutcome(r.Name, confirmed.Contains(r) ? decisions[r.Name].State
                : $"{decisions[r.Name].State}; {server.Name} no longer accepts its old config: fix it by hand", confirmed.Contains(r))).ToList();
            mixed.Add(new(server.Name, "new config live (kept: putting it back would cut off the routers that confirmed)", true));
            return Fail(plan, "only some routers confirmed the new handshake", mixed, warnings);
        }

        // 7. No router saw a handshake before its timer decided (the server would have seen it too): every router is
        //    restoring its previous config. Now, and only now, the server goes back.
        Log($"{string.Join("; ", routers.Select(r => $"{r.Name}: {decisions[r.Name].State}"))}: putting {server.Name} back");
        string? restoreError = null;
        if (serverError is null)
        {
            var back = before.Hosts.Single(h => h.Role == "server");
            try
            {
                var result = await shell.RunAsync(back.Name, back.Connection, back.Commands.Single().Create.Reveal(secrets), ct);
                result.EnsureSuccess(back.Name, "restoring the server config");
                Log($"{server.Name}: restored: {RemoteResult.LastLine(result.StdOut)}");
            }
            catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
            {
                restoreError = ex.Message;
                Log($"{server.Name}: restore FAILED: {ex.Message}");
            }
        }
        if (plan.Target == RotationTarget.ServerKey && await ApplyRelayAsync(before, "back on the old server key", ct) is { } undoError)
            warnings.Add($"the relay on {plan.Before.Hub.Name} still accepts the new server key too ({undoError}); run pulumi up");

        Log($"waiting up to {RollbackGrace.TotalSeconds:0}s for the old handshake");
        var beforeKeys = routers.ToDictionary(r => r.Name, r => PeerKey(rollbackTarget, r.Name));
        // Newer than the last handshake before the server step: the router may already have handshaken on its old
        // config by now (it answered "rolled back" through the tunnel), and that one counts.
        var oldSince = routers.ToDictionary(r => r.Name, r => baseline?.GetValueOrDefault(beforeKeys[r.Name]) ?? t0);
        var back2 = await WatchAsync(server, beforeKeys, oldSince, routers.ToDictionary(r => r.Name, _ => DateTime.MaxValue), DateTime.UtcNow + RollbackGrace, ct);
        var allBack = back2.Count == routers.Count;

        // The staged key goes only once nothing can run it: the server put back and every router's old handshake seen.
        if (restoreError is null && allBack)
        {
            await store.DiscardAsync(plan.SecretName, ct);
            Log($"discarded the staged '{plan.SecretName}'");
        }
        else
            warnings.Add($"the new '{plan.SecretName}' is kept staged in {store.Description}: a host may still run it; discard it once difenn verify passes");
        var outcomes = routers.Select(r => back2.TryGetValue(r.Name, out var old)
            ? new HostOutcome(r.Name, $"back on its previous config ({decisions[r.Name].State}); old handshake {old.Age}s ago", false)
            : new HostOutcome(r.Name, $"{decisions[r.Name].State}, but its old handshake was not seen within {RollbackGrace.TotalSeconds:0}s; check it (difenn verify)", null)).ToList();
        // The server's state is reported from evidence: the old handshake working again proves the old config.
        outcomes.Add((serverError, restoreError) switch
        {
            (null, null) => new HostOutcome(server.Name, allBack ? "back on its previous config; old handshake confirmed" : "put back on its previous config", false),
            (null, { } e) => new HostOutcome(server.Name, $"could not be restored ({e}): it runs the NEW config; restore it by hand with the staged '{plan.SecretName}'", true),
            _ when allBack => new HostOutcome(server.Name, $"apply failed ({serverError}); still on its previous config (the old handshake works)", false),
            _ => new HostOutcome(server.Name, $"apply failed ({serverError}); state unknown: check it with difenn drift", null),
        });
        Log(allBack ? "rolled back: old handshake confirmed" : "rollback not confirmed");
        return new RotationReport(plan.Target, plan.SecretName, false, plan.OldPublicKey, plan.NewPublicKey, outcomes, warnings);
    }

    private const string BaselineBegin = "difenn-baseline-begin";
    private const string BaselineEnd = "difenn-baseline-end";

    /// <summary>
    /// The server step: each router told to switch, the latest handshakes before the change (between markers), the apply script, then a packet to
    /// each router's tunnel address, which makes the server initiate the handshake at once. For a new peer key the
    /// new peer gets the old key's endpoint first (the router's address as the server last saw it), else the server
    /// could not reach it. The kick is best effort: a failure only costs the routers' next retry.
    /// </summary>
    private static string ServerStepScript(HostState server, RotationPlan plan, IReadOnlyList<HostState> routers, string apply)
    {
        var iface = Sh.Quote(server.WireGuard!.Name);
        var sb = new System.Text.StringBuilder();
        // Both ends change within a second: each router is told (through the tunnel, which still works) to switch one
        // second from now, and the server changes at once. The server first: the router's first handshake after its
        // switch then meets the new config (one that missed would be retried by WireGuard only 5 s later), and in the
        // meantime the server queues its replies rather than dropping them. Best effort and bounded: a router not told
        // switches by itself within SwitchWait. The baseline is read after: nothing can handshake on the new config yet.
        for (var i = 0; i < routers.Count; i++)
            sb.Append($"timeout 5 {OpenWrtRenderer.SshFromServer(plan.After.Peers.Single(p => p.Name == routers[i].Name).OpenWrt!)} {Sh.Quote(OpenWrtRenderer.SwitchCommand(1))} >/dev/null 2>&1 &\ntell_{i}=$!\n");
        for (var i = 0; i < routers.Count; i++)
            sb.Append($"wait $tell_{i} || true\n");
        sb.Append($"echo {BaselineBegin}\ndate +%s\nwg show {iface} latest-handshakes 2>/dev/null || true\necho {BaselineEnd}\n");
        for (var i = 0; i < routers.Count; i++)
            if (plan.Target == RotationTarget.PeerKey)
                sb.Append($"old_endpoint_{i}=$(wg show {iface} endpoints 2>/dev/null | awk -v k={Sh.Quote(PeerKey(plan.Before, routers[i].Name))} '$1 == k {{print $2}}')\n");
        sb.Append(apply.EndsWith('\n') ? apply : apply + "\n");
        for (var i = 0; i < routers.Count; i++)
        {
            var key = Sh.Quote(PeerKey(plan.After, routers[i].Name));
            if (plan.Target == RotationTarget.PeerKey)
                sb.Append($"if [ -n \"$old_endpoint_{i}\" ] && [ \"$old_endpoint_{i}\" != '(none)' ] && wg show {iface} peers | grep -qxF {key}; then wg set {iface} peer {key} endpoint \"$old_endpoint_{i}\" || true; fi\n");
            sb.Append($"ping -c 1 -W 2 {Sh.Quote(plan.After.Peers.Single(p => p.Name == routers[i].Name).Address.ToString())} >/dev/null 2>&1 &\n");
        }
        sb.Append("wait\n");
        return sb.ToString();
    }

    /// <summary>The latest handshake per peer key from the server step's output, or null when it is not there.</summary>
    private static Dictionary<string, long>? ParseBaseline(string stdout)
    {
        var begin = stdout.IndexOf(BaselineBegin + "\n", StringComparison.Ordinal);
        var end = stdout.IndexOf(BaselineEnd, StringComparison.Ordinal);
        if (begin < 0 || end < begin) return null;
        var lines = stdout[(begin + BaselineBegin.Length + 1)..end].Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1);
        return lines.Select(l => l.Split('\t')).Where(f => f.Length == 2 && long.TryParse(f[1], out _))
            .ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
    }

    /// <summary>A handshake <see cref="WatchAsync"/> saw: its age on the server, and whether it was seen before the router's early-confirm time.</summary>
    private sealed record Seen(long Age, bool Early);

    /// <summary>What a router's rollback timer decided, as far as the CLI can tell (null: unknown).</summary>
    private sealed record RouterDecision(bool? OnNewConfig, string State);

    /// <summary>
    /// Polls the server until every router's key has a handshake newer than its baseline, or <paramref name="until"/>.
    /// A handshake counts as early when the read that saw it ended before the router's <paramref name="earlyBefore"/>.
    /// A failed read is retried until the end.
    /// </summary>
    private async Task<Dictionary<string, Seen>> WatchAsync(HostState server, IReadOnlyDictionary<string, string> keys, IReadOnlyDictionary<string, long> since,
        IReadOnlyDictionary<string, DateTime> earlyBefore, DateTime until, CancellationToken ct)
    {
        var seen = new Dictionary<string, Seen>();
        while (true)
        {
            var read = await TryServerHandshakesAsync(server, ct);
            var ended = DateTime.UtcNow;
            if (read is not null)
                foreach (var (name, key) in keys)
                    if (!seen.ContainsKey(name) && read.Handshakes.TryGetValue(key, out var t) && t > since[name])
                        seen[name] = new Seen(read.Now - t, ended < earlyBefore[name]);
            // Every handshake seen (some late: those routers are asked), or the end: nothing more to learn here.
            if (seen.Count == keys.Count || ended >= until) return seen;
            var left = until - ended;
            await Task.Delay(left < PollInterval ? left : PollInterval, ct);
        }
    }

    /// <summary>
    /// After <paramref name="decided"/> (the router's timer has decided by then): asks the router through the tunnel
    /// what it decided. With the server on the new config, a router that answers runs it (its timer kept it); one that
    /// does not answer restored its previous config.
    /// </summary>
    private async Task<RouterDecision> AskRouterAsync(HostState router, DateTime decided, bool serverOnNewConfig, CancellationToken ct)
    {
        var wait = decided - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            Log($"{router.Name}: no early handshake; asking it once its rollback timer has decided (in {wait.TotalSeconds:0}s)");
            await Task.Delay(wait, ct);
        }
        string? error = null;
        for (var attempt = 0; attempt < RouterAskAttempts; attempt++)
        {
            try
            {
                var result = (await shell.RunAsync(router.Name, router.Connection, $"cat {OpenWrtRollback.DecisionFile} 2>/dev/null || echo pending\n", ct)).EnsureSuccess(router.Name, "reading its rollback decision");
                var answer = RemoteResult.LastLine(result.StdOut);
                Log($"{router.Name}: rollback timer: {answer}");
                if (answer.StartsWith("kept", StringComparison.Ordinal))
                    return new RouterDecision(serverOnNewConfig ? true : null, $"new config; handshake confirmed by the router itself: its rollback timer kept it ({answer}), and it answers through the tunnel");
                if (answer.StartsWith("rolled back", StringComparison.Ordinal))
                    return new RouterDecision(false, $"its rollback timer restored its previous config ({answer})");
                return new RouterDecision(null, $"answers through the tunnel, but its rollback timer has not decided ({answer}); check it (difenn verify)");
            }
            catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
            {
                error = ex.Message;
                if (attempt + 1 < RouterAskAttempts) await Task.Delay(PollInterval, ct);
            }
        }
        Log($"{router.Name}: not reachable through the tunnel ({error})");
        return serverOnNewConfig
            ? new RouterDecision(false, "no handshake by its rollback timer's decision and not reachable through the tunnel: its timer restored its previous config")
            : new RouterDecision(null, $"not reachable through the tunnel ({error}): state unknown");
    }

    private static string PeerKey(Stack stack, string name) => stack.Peers.Single(p => p.Name == name).PublicKey.ToBase64();

    private static int RollbackSecondsOf(Stack stack, string name) => stack.Peers.Single(p => p.Name == name).OpenWrt!.RollbackSeconds;

    private RotationReport Fail(RotationPlan plan, string why, IReadOnlyList<HostOutcome> hosts, IReadOnlyList<string> warnings)
    {
        Log($"FAILED: {why}");
        return new RotationReport(plan.Target, plan.SecretName, false, plan.OldPublicKey, plan.NewPublicKey, hosts, warnings);
    }

    /// <summary>How long after a router's rollback timer decides the CLI still watches for the new handshake before it
    /// concludes that the router saw none (default 5 s: the router's check itself, its confirming packet, a poll).</summary>
    public TimeSpan DecisionMargin { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A handshake seen this long before a router's timer can decide counts as seen by the router too (default 2 s).</summary>
    public TimeSpan EarlyConfirmGuard { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a router waits, after committing its new config, for the server step to tell it to switch before it
    /// switches by itself (default 10 s; well under every rollback timer, at least 30 s).
    /// </summary>
    public TimeSpan SwitchWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a router is tried through the tunnel after its timer decided (default 2).</summary>
    public int RouterAskAttempts { get; init; } = 2;

    /// <summary>Runs the hub's relay command of <paramref name="state"/>; returns null on success, else why it failed.</summary>
    private async Task<string?> ApplyRelayAsync(DesiredState state, string what, CancellationToken ct)
    {
        var hub = state.Hosts.Single(h => h.Role == "hub");
        var relay = hub.Commands.Single(c => c.Name == $"{hub.Name}-relay");
        try
        {
            var result = await shell.RunAsync(hub.Name, hub.Connection, relay.Create.Reveal(secrets), ct);
            result.EnsureSuccess(hub.Name, "changing the relay's server keys");
            Log($"{hub.Name}: relay {what}");
            return null;
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException)
        {
            Log($"{hub.Name}: FAILED: {ex.Message}");
            return ex.Message;
        }
    }

    /// <summary>The server's clock and latest handshake per peer public key (0 = never).</summary>
    private sealed record ServerPeers(long Now, Dictionary<string, long> Handshakes);

    private string? _lastReadError;

    /// <summary><see cref="ServerHandshakesAsync"/>, null (and logged once per distinct error) when the server cannot be read.</summary>
    private async Task<ServerPeers?> TryServerHandshakesAsync(HostState server, CancellationToken ct)
    {
        try
        {
            return await ServerHandshakesAsync(server, ct);
        }
        catch (Exception ex) when (ex is HostUnreachableException or RemoteCommandException or FormatException)
        {
            if (_lastReadError != ex.Message) Log($"could not read {server.Name} (retrying): {ex.Message}");
            _lastReadError = ex.Message;
            return null;
        }
    }

    private async Task<ServerPeers> ServerHandshakesAsync(HostState server, CancellationToken ct)
    {
        var iface = Sh.Quote(server.WireGuard!.Name);
        var result = (await shell.RunAsync(server.Name, server.Connection, $"date +%s\nwg show {iface} latest-handshakes\n", ct))
            .EnsureSuccess(server.Name, $"wg show {server.WireGuard!.Name}");
        var lines = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var now = long.Parse(lines[0].Trim(), CultureInfo.InvariantCulture);
        var handshakes = lines.Skip(1).Select(l => l.Split('\t')).Where(f => f.Length == 2).ToDictionary(f => f[0], f => long.Parse(f[1], CultureInfo.InvariantCulture));
        return new ServerPeers(now, handshakes);
    }

    private void Log(string line) => progress?.Report($"{DateTime.UtcNow:HH:mm:ss} {line}");


    private static string Describe(RotationPlan plan) => plan.Target switch
    {
        RotationTarget.ServerKey => "server key",
        RotationTarget.PeerKey => $"key of {plan.Routers[0].Name}",
        _ => $"preshared key of {plan.Routers[0].Name}",
    };
}
