using System.Text.Json;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Live;

/// <summary>The hub as it is: firewall, containers, what holds the relay ports, the relay's files.</summary>
/// <param name="Ufw">The firewall.</param>
/// <param name="DockerAvailable">Whether the <c>docker</c> command answered.</param>
/// <param name="Containers">Inspected containers by name (the relay's and the legacy ones that exist).</param>
/// <param name="PortHolders">For each relay port: the processes listening on it over UDP (empty: nothing).</param>
/// <param name="FileSha256">SHA-256 (hex) of each file asked for (the compose file, the server keys file) that exists.</param>
public sealed record LiveHub(LiveUfw Ufw, bool DockerAvailable, IReadOnlyDictionary<string, LiveContainer> Containers,
    IReadOnlyDictionary<int, IReadOnlyList<string>> PortHolders, IReadOnlyDictionary<string, string> FileSha256);

/// <summary>UFW's state.</summary>
/// <param name="Installed">Whether <c>ufw</c> exists.</param>
/// <param name="Active">Whether the firewall is active.</param>
/// <param name="Rules">The added rules (<c>ufw show added</c>), in order.</param>
public sealed record LiveUfw(bool Installed, bool Active, IReadOnlyList<UfwRule> Rules);

/// <summary>One added UFW rule.</summary>
/// <param name="Action"><c>allow</c>, <c>deny</c>, <c>reject</c>, <c>limit</c>.</param>
/// <param name="Spec">The rule's spec as written after the action, e.g. <c>51820/udp</c>.</param>
/// <param name="Comment">Its comment, or null.</param>
/// <param name="Text">The whole line, as ufw printed it.</param>
public sealed record UfwRule(string Action, string Spec, string? Comment, string Text)
{
    /// <summary>The port of a simple <c>PORT/PROTO</c> spec, else null.</summary>
    public int? Port => Spec.Split('/') is [var p, _] && int.TryParse(p, out var n) ? n : null;

    /// <summary>The protocol of a simple <c>PORT/PROTO</c> spec, else null.</summary>
    public string? Protocol => Spec.Split('/') is [_, var proto] ? proto : null;
}

/// <summary>A container as <c>docker inspect</c> reports it.</summary>
/// <param name="Name">Name without the leading slash.</param>
/// <param name="Image">The image reference it was created from (<c>.Config.Image</c>).</param>
/// <param name="Command">Its arguments (<c>.Config.Cmd</c>).</param>
/// <param name="Running">Whether it is running.</param>
/// <param name="Health">Health status (<c>healthy</c>, <c>unhealthy</c>, <c>starting</c>) or null without a healthcheck.</param>
/// <param name="RestartPolicy">Restart policy name.</param>
/// <param name="NetworkMode">Network mode.</param>
public sealed record LiveContainer(string Name, string Image, IReadOnlyList<string> Command, bool Running, string? Health, string RestartPolicy, string NetworkMode);

/// <summary>Reads the hub in one script: <c>ufw</c>, <c>docker inspect</c>, <c>ss</c>, the relay files' hashes.</summary>
public static class HubProbe
{
    /// <summary>The probe script.</summary>
    /// <param name="containers">Container names to inspect (the relay's and the legacy socat ones).</param>
    /// <param name="ports">The relay ports.</param>
    /// <param name="files">Files to hash (the relay's compose file and server keys file); none to skip.</param>
    public static string Script(IReadOnlyList<string> containers, IEnumerable<int> ports, IReadOnlyList<string> files)
    {
        var script = "export LC_ALL=C\n"
            + ScriptSections.Begin("ufw-status")
            + "if command -v ufw >/dev/null 2>&1; then ufw status 2>&1 | head -n 1; else echo 'not installed'; fi\n"
            + ScriptSections.Begin("ufw-added")
            + "command -v ufw >/dev/null 2>&1 && ufw show added 2>&1\n"
            + ScriptSections.Begin("ss")
            + $"ss -Hulnp 2>/dev/null | awk '{string.Join(" || ", ports.Select(p => $"$4 ~ /:{p}$/"))}'\n";
        if (containers.Count > 0)
            script += ScriptSections.Begin("docker")
                + "if command -v docker >/dev/null 2>&1 && docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then\n"
                + $"  echo available; docker inspect --type container {string.Join(' ', containers.Select(Sh.Quote))} 2>/dev/null || true\n"
                + "fi\n";
        if (files.Count > 0)
            script += ScriptSections.Begin("files") + $"sha256sum {string.Join(' ', files.Select(Sh.Quote))} 2>/dev/null || true\n";
        return script;
    }

    /// <summary>Parses the probe's output.</summary>
    public static LiveHub Parse(string output, IEnumerable<int> ports)
    {
        var s = ScriptSections.Parse(output);
        var status = s.GetValueOrDefault("ufw-status", "").Trim();
        var rules = s.GetValueOrDefault("ufw-added", "").Split('\n')
            .Select(l => l.Trim()).Where(l => l.StartsWith("ufw ", StringComparison.Ordinal)).Select(ParseRule).ToList();
        var ufw = new LiveUfw(status != "not installed" && status.Length > 0, status == "Status: active", rules);

        var docker = s.GetValueOrDefault("docker", "");
        var available = docker.StartsWith("available", StringComparison.Ordinal);
        var containers = available ? ParseInspect(docker["available".Length..]) : new Dictionary<string, LiveContainer>();

        var holders = ports.ToDictionary(p => p, _ => (IReadOnlyList<string>)new List<string>());
        foreach (var line in s.GetValueOrDefault("ss", "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 4) continue;
            var local = f[3];
            if (!int.TryParse(local[(local.LastIndexOf(':') + 1)..], out var port) || !holders.TryGetValue(port, out var list)) continue;
            var process = f.Length > 5 && f[5].Split('"') is { Length: >= 2 } q ? q[1] : "unknown process";
            if (!list.Contains(process)) ((List<string>)list).Add(process);
        }
        // sha256sum prints "HASH  PATH" per file it could read.
        var files = s.GetValueOrDefault("files", "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split("  ", 2)).Where(f => f.Length == 2 && f[0].Length == 64).ToDictionary(f => f[1].Trim(), f => f[0]);
        return new LiveHub(ufw, available, containers, holders, files);
    }

    /// <summary>Parses one <c>ufw show added</c> line, e.g. <c>ufw allow 51820/udp comment 'x'</c>.</summary>
    public static UfwRule ParseRule(string line)
    {
        var w = ShellWords.Split(line);
        var c = w.IndexOf("comment");
        var comment = c > 0 && c + 1 < w.Count ? w[c + 1] : null;
        var body = (c > 0 ? w[1..c] : w[1..]).ToList();
        var action = body.Count > 0 ? body[0] : "";
        var spec = string.Join(' ', body.Skip(1));
        return new UfwRule(action, spec, comment, line);
    }

    /// <summary>Parses <c>docker inspect</c>'s JSON array.</summary>
    public static Dictionary<string, LiveContainer> ParseInspect(string json)
    {
        var result = new Dictionary<string, LiveContainer>();
        json = json.Trim();
        if (json.Length == 0) return result;
        using var doc = JsonDocument.Parse(json);
        foreach (var c in doc.RootElement.EnumerateArray())
        {
            var name = c.GetProperty("Name").GetString()!.TrimStart('/');
            var config = c.GetProperty("Config");
            var state = c.GetProperty("State");
            var host = c.GetProperty("HostConfig");
            var cmd = config.TryGetProperty("Cmd", out var cmdEl) && cmdEl.ValueKind == JsonValueKind.Array
                ? cmdEl.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
            string? health = state.TryGetProperty("Health", out var h) && h.ValueKind == JsonValueKind.Object ? h.GetProperty("Status").GetString() : null;
            result[name] = new LiveContainer(name, config.GetProperty("Image").GetString() ?? "", cmd, state.GetProperty("Running").GetBoolean(), health,
                host.GetProperty("RestartPolicy").GetProperty("Name").GetString() ?? "", host.GetProperty("NetworkMode").GetString() ?? "");
        }
        return result;
    }
}
