using System.Security.Cryptography;
using System.Text;

namespace Difenn.Operations.Remote;

/// <summary>
/// The entries of an OpenSSH <c>known_hosts</c> file: plain and hashed (<c>|1|salt|hash</c>) host names,
/// <c>[host]:port</c> for ports other than 22, <c>*</c>/<c>?</c> wildcards, <c>!</c> negation and <c>@revoked</c>
/// keys. <c>@cert-authority</c> lines are ignored (certificates are not supported).
/// </summary>
public sealed class KnownHosts
{
    private readonly List<Entry> _entries;

    private KnownHosts(string source, List<Entry> entries)
    {
        Source = source;
        _entries = entries;
    }

    /// <summary>Where the entries came from (a path, or a description), for messages.</summary>
    public string Source { get; }

    /// <summary>An empty set (nothing is trusted).</summary>
    public static KnownHosts Empty(string source) => new(source, []);

    /// <summary>Reads <paramref name="path"/>; a missing file is an empty set.</summary>
    public static KnownHosts Load(string path) =>
        File.Exists(path) ? Parse(File.ReadAllText(path), path) : Empty(path);

    /// <summary>Parses known_hosts text; malformed lines are skipped, as ssh does.</summary>
    public static KnownHosts Parse(string text, string source)
    {
        var entries = new List<Entry>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var f = line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var marker = f[0].StartsWith('@') ? f[0] : null;
            if (marker is not null) f = f[1..];
            if (f.Length < 3 || marker == "@cert-authority") continue;
            byte[] blob;
            try { blob = Convert.FromBase64String(f[2]); }
            catch (FormatException) { continue; }
            entries.Add(new Entry(f[0].Split(','), f[1], blob, marker == "@revoked"));
        }
        return new KnownHosts(source, entries);
    }

    /// <summary>The name ssh looks up: <c>host</c> for port 22, else <c>[host]:port</c>.</summary>
    public static string LookupName(string host, int port) => port == 22 ? host : $"[{host}]:{port}";

    /// <summary>Keys listed for <paramref name="host"/>:<paramref name="port"/> (type and wire-format blob), and whether revoked.</summary>
    public IEnumerable<(string Type, byte[] Blob, bool Revoked)> KeysFor(string host, int port)
    {
        var name = LookupName(host, port);
        foreach (var e in _entries)
            if (e.Revoked || Matches(e.Patterns, name))
                yield return (e.Type, e.Blob, e.Revoked);
    }

    private static bool Matches(string[] patterns, string name)
    {
        var matched = false;
        foreach (var p in patterns)
        {
            if (p.StartsWith("|1|"))
            {
                if (HashedMatches(p, name)) matched = true;
                continue;
            }
            var negated = p.StartsWith('!');
            var pattern = negated ? p[1..] : p;
            if (GlobMatches(pattern, name))
            {
                if (negated) return false;
                matched = true;
            }
        }
        return matched;
    }

    private static bool HashedMatches(string pattern, string name)
    {
        var parts = pattern.Split('|'); // "", "1", salt, hash
        if (parts.Length != 4) return false;
        try
        {
            var expected = Convert.FromBase64String(parts[3]);
            var actual = HMACSHA1.HashData(Convert.FromBase64String(parts[2]), Encoding.UTF8.GetBytes(name));
            return CryptographicOperations.FixedTimeEquals(expected, actual);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>OpenSSH's pattern match: <c>*</c> any run, <c>?</c> one character, case-insensitive.</summary>
    public static bool GlobMatches(string pattern, string name)
    {
        // ssh's match_pattern: '*' any run, '?' one character, case-insensitive host names.
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToLowerInvariant(pattern[p]) == char.ToLowerInvariant(name[n]))) { p++; n++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = n; }
            else if (star >= 0) { p = star + 1; n = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    private sealed record Entry(string[] Patterns, string Type, byte[] Blob, bool Revoked);
}
