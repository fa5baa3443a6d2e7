using Difenn.Topology.Desired;
using Difenn.Topology.Secrets;

namespace Difenn.Cli.Plan;

/// <summary>The human form of a plan: one block per host, one line per resource.</summary>
internal static class PlanPrinter
{
    public static void Print(TextWriter o, string source, DesiredState s, bool showFiles, ISecretSource? secrets)
    {
        var commands = s.Hosts.Sum(h => h.Commands.Count);
        o.WriteLine($"Stack {s.Stack} ({source}): {s.Hosts.Count} hosts, 1 DNS record, {s.Hosts.Sum(h => h.FirewallRules.Count)} firewall rules, {s.Hosts.Sum(h => h.Containers.Count)} containers, {s.Hosts.Sum(h => h.Files.Count)} files, {commands} commands");
        o.WriteLine();
        o.WriteLine("cloudflare");
        o.WriteLine($"  dns        {s.Dns.Name} {s.Dns.Type} {s.Dns.Content}  ttl={s.Dns.Ttl} proxied={(s.Dns.Proxied ? "true" : "false")}  (zone {s.Dns.Zone})");
        foreach (var h in s.Hosts)
        {
            o.WriteLine();
            o.WriteLine($"{h.Name} [{h.Role}]  via {h.Connection}");
            foreach (var f in h.FirewallRules)
                o.WriteLine($"  firewall   {f.Port}/{f.Protocol} ALLOW Anywhere  # {f.Comment}");
            foreach (var c in h.Containers)
                o.WriteLine($"  container  {c.Name}  image={c.Image} network={c.NetworkMode} restart={c.Restart} udp/{c.ListenPort} metrics=127.0.0.1:{c.MetricsPort}");
            if (h.WireGuard is { } wg)
            {
                o.WriteLine($"  wireguard  {wg.Name}  address={wg.Address} listen={(wg.ListenPort?.ToString() ?? "random")} publicKey={wg.PublicKey}");
                foreach (var p in wg.Peers)
                    o.WriteLine($"    peer     {p.Name}  {p.PublicKey}  allowed={string.Join(",", p.AllowedIPs)} keepalive={(p.Keepalive > 0 ? p.Keepalive.ToString() : "off")}{(p.Endpoint is null ? "" : " endpoint=" + p.Endpoint)}{(p.HasPresharedKey ? " psk" : "")}");
            }
            foreach (var f in h.Files)
                o.WriteLine($"  file       {f.Path}  {f.Mode} {f.Owner}  sha256:{f.Content.TemplateHash[..12]}{(f.Content.HasSecrets ? "  (holds secrets: " + string.Join(", ", f.Content.SecretNames) + ")" : "")}");
            foreach (var c in h.Commands)
                o.WriteLine($"  command    {c.Name}  — {c.Description}{(c.DependsOn.Count > 0 ? $"  (after {string.Join(", ", c.DependsOn)})" : "")}");
            if (!showFiles) continue;
            foreach (var f in h.Files) Block(o, $"file {f.Path}", f.Content, secrets);
            foreach (var c in h.Commands)
            {
                Block(o, $"command {c.Name}: create/update  (runs: {h.Connection.ShellCommand})", c.Create, secrets);
                if (c.Delete is not null) Block(o, $"command {c.Name}: delete", c.Delete, secrets);
            }
        }
    }

    private static void Block(TextWriter o, string title, SecretText text, ISecretSource? secrets)
    {
        o.WriteLine($"  ---- {title}");
        var body = secrets is null ? text.Redacted : text.Reveal(secrets);
        foreach (var line in body.TrimEnd('\n').Split('\n')) o.WriteLine("  | " + line);
    }
}

/// <summary>Writes a plan's files and scripts to a directory tree.</summary>
internal static class PlanWriter
{
    public static void WriteTree(DesiredState s, string root, ISecretSource? secrets)
    {
        root = Path.GetFullPath(root);
        foreach (var h in s.Hosts)
        {
            foreach (var f in h.Files) Write(Path.Combine(root, h.Name, "files", f.Path.TrimStart('/')), f.Content, secrets, root);
            foreach (var c in h.Commands)
            {
                Write(Path.Combine(root, h.Name, "commands", c.Name + ".create.sh"), c.Create, secrets, root);
                if (c.Delete is not null) Write(Path.Combine(root, h.Name, "commands", c.Name + ".delete.sh"), c.Delete, secrets, root);
            }
        }
    }

    private static void Write(string path, SecretText text, ISecretSource? secrets, string root)
    {
        // Names come from the stack; whatever they hold, nothing is written outside --out.
        var full = Path.GetFullPath(path);
        if (!full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            throw new Infrastructure.CommandFailedException($"refusing to write {full}: it is outside --out {root}");
        path = full;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (secrets is not null && text.HasSecrets)
            Infrastructure.SecretFile.Write(path, text.Reveal(secrets), overwrite: true);
        else
            File.WriteAllText(path, text.Redacted);
    }
}
