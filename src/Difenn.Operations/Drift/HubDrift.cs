using Difenn.Operations.Live;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Drift;

/// <summary>
/// Compares the hub with its desired state: UFW rules for the relay ports (other rules are not ours and are never
/// reported), the relay containers, legacy socat containers, what listens on the relay ports, the compose file.
/// </summary>
public static class HubDrift
{
    /// <summary>The comment prefix that marks a UFW rule as this project's (the runbook's comments start with it).</summary>
    public const string OwnCommentPrefix = "Difenn";

    /// <summary>The items for <paramref name="host"/> given what <see cref="HubProbe"/> read.</summary>
    /// <param name="host">The hub's desired state.</param>
    /// <param name="live">What the probe read.</param>
    /// <param name="legacyContainers">The runbook's socat containers that must be gone.</param>
    public static IReadOnlyList<DriftItem> Compare(HostState host, LiveHub live, IReadOnlyList<string> legacyContainers)
    {
        var d = new DriftItems(host.Name);
        if (!live.Ufw.Installed)
            d.Add("ufw", "installed", "not installed", DriftVerdict.Missing);
        else
        {
            d.Compare("ufw status", "active", live.Ufw.Active ? "active" : "inactive");
            foreach (var rule in host.FirewallRules)
            {
                var spec = $"{rule.Port}/{rule.Protocol}";
                var matches = live.Ufw.Rules.Where(r => r.Spec == spec).ToList();
                // One item per rule: absent, or compared (not a "present" item and a compared one, which --json listed twice).
                if (matches.Count == 0)
                {
                    d.Add($"ufw {spec}", $"allow # {rule.Comment}", "absent", DriftVerdict.Missing);
                    continue;
                }
                var r = matches[0];
                d.Compare($"ufw {spec}", $"allow # {rule.Comment}", $"{r.Action} # {r.Comment ?? "(no comment)"}");
            }
            var wanted = host.FirewallRules.Select(r => $"{r.Port}/{r.Protocol}").ToHashSet();
            foreach (var stale in live.Ufw.Rules.Where(r => r.Comment?.StartsWith(OwnCommentPrefix, StringComparison.Ordinal) == true && !wanted.Contains(r.Spec)))
                d.Add($"ufw {stale.Spec}", "absent", $"{stale.Action} # {stale.Comment}", DriftVerdict.Unexpected);
        }

        if (!live.DockerAvailable)
            d.Add("docker", "available", "not available", DriftVerdict.Unknown);
        else
        {
            foreach (var want in host.Containers)
            {
                if (!live.Containers.TryGetValue(want.Name, out var c))
                {
                    d.Add($"container {want.Name}", "running", "absent", DriftVerdict.Missing);
                    continue;
                }
                d.Compare($"container {want.Name}", "running", c.Running ? "running" : "stopped");
                d.Compare($"container {want.Name} image", want.Image, c.Image);
                d.Compare($"container {want.Name} command", string.Join(' ', want.Command), string.Join(' ', c.Command));
                d.Compare($"container {want.Name} restart", want.Restart, c.RestartPolicy);
                d.Compare($"container {want.Name} network", want.NetworkMode, c.NetworkMode);
                if (c.Running) d.Compare($"container {want.Name} health", "healthy", c.Health ?? "(no healthcheck)");
            }
            foreach (var legacy in legacyContainers.Where(live.Containers.ContainsKey))
                d.Add($"legacy container {legacy}", "absent", live.Containers[legacy].Running ? "running (socat holds the relay port)" : "stopped", DriftVerdict.Unexpected);
        }

        foreach (var (port, holders) in live.PortHolders.OrderBy(p => p.Key))
        {
            if (holders.Count == 0) d.Add($"udp/{port} listener", "difenn-relay", "nothing listens", DriftVerdict.Missing);
            else d.Compare($"udp/{port} listener", "difenn-relay", string.Join(", ", holders));
        }

        // The compose file and the server keys file (the relays re-read it: a hand edit changes what they let through).
        foreach (var file in host.Files)
            if (d.Present(file.Path, live.FileSha256.ContainsKey(file.Path), "present", "present"))
                d.Compare($"{file.Path} sha256", Short(file.Content.TemplateHash), Short(live.FileSha256[file.Path]));
        return d.Items;
    }

    private static string Short(string hex) => hex[..12];
}
