namespace Difenn.Operations.Remote;

/// <summary>What an <c>~/.ssh/config</c> says for one host alias.</summary>
/// <param name="HostName">The real host name or address (<c>HostName</c>), or null.</param>
/// <param name="Port">The port (<c>Port</c>), or null.</param>
/// <param name="User">The user (<c>User</c>), or null.</param>
/// <param name="IdentityFiles">Identity files (<c>IdentityFile</c>, <c>~</c> expanded), in order.</param>
public sealed record SshHostConfig(string? HostName, int? Port, string? User, IReadOnlyList<string> IdentityFiles);

/// <summary>
/// The part of OpenSSH's client config that reaching the topology's hosts needs, so that the runbook's <c>ssh px3</c>
/// works as written: <c>Host</c> blocks (patterns with <c>*</c>, <c>?</c> and <c>!</c>), <c>HostName</c>, <c>Port</c>,
/// <c>User</c>, <c>IdentityFile</c>; the first value found wins, as in ssh. <c>Match</c> blocks and other keywords are
/// ignored.
/// </summary>
public sealed class SshConfigFile
{
    private readonly List<(string[] Patterns, List<(string Key, string Value)> Settings)> _blocks = [];

    /// <summary>Reads <paramref name="path"/>; a missing file is empty.</summary>
    public static SshConfigFile Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : new SshConfigFile();

    /// <summary>Parses config text.</summary>
    public static SshConfigFile Parse(string text)
    {
        var config = new SshConfigFile();
        List<(string, string)>? current = [];
        config._blocks.Add((["*"], current)); // settings before the first Host apply to every host
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var sep = line.IndexOfAny([' ', '\t', '=']);
            if (sep < 0) continue;
            var key = line[..sep].ToLowerInvariant();
            var value = line[(sep + 1)..].Trim().TrimStart('=').Trim().Trim('"');
            if (key == "host")
            {
                current = [];
                config._blocks.Add((value.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries), current));
            }
            else if (key == "match")
                current = null; // not supported: its settings are skipped
            else
                current?.Add((key, value));
        }
        return config;
    }

    /// <summary>
    /// Where <paramref name="host"/>:<paramref name="port"/> (as a stack names it) really is: the alias's <c>HostName</c>
    /// (else the name itself), and its <c>Port</c> when the stack leaves the default 22 (a port in the stack wins).
    /// </summary>
    public (string Address, int Port) Endpoint(string host, int port)
    {
        var alias = For(host);
        return (alias.HostName ?? host, port == 22 && alias.Port is int p ? p : port);
    }

    /// <summary>The settings for <paramref name="alias"/>.</summary>
    public SshHostConfig For(string alias)
    {
        string? hostName = null, user = null;
        int? port = null;
        var identities = new List<string>();
        foreach (var (patterns, settings) in _blocks.Where(b => Matches(b.Patterns, alias)))
            foreach (var (key, value) in settings)
                switch (key)
                {
                    case "hostname": hostName ??= value.Replace("%h", alias, StringComparison.Ordinal); break;
                    case "port": port ??= int.TryParse(value, out var p) ? p : null; break;
                    case "user": user ??= value; break;
                    case "identityfile": identities.Add(value.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), value[2..]) : value); break;
                }
        return new SshHostConfig(hostName, port, user, identities);
    }

    private static bool Matches(string[] patterns, string alias)
    {
        var matched = false;
        foreach (var p in patterns)
        {
            var negated = p.StartsWith('!');
            if (!KnownHosts.GlobMatches(negated ? p[1..] : p, alias)) continue;
            if (negated) return false;
            matched = true;
        }
        return matched;
    }
}
