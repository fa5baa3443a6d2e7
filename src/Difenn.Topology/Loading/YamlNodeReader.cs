using System.Globalization;
using Difenn.WireGuard.Validation;
using YamlDotNet.RepresentationModel;

namespace Difenn.Topology.Loading;

/// <summary>
/// Reads one YAML mapping with positions: every accessor reports problems as diagnostics at the node's
/// line and column, and <see cref="Finish"/> reports the keys nobody asked for (typos are errors).
/// </summary>
internal sealed class YamlNodeReader
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _read = [];

    public YamlNodeReader(YamlMappingNode node, string path, Diagnostics diags)
    {
        _node = node;
        Path = path;
        Diags = diags;
    }

    public string Path { get; }

    public Diagnostics Diags { get; }

    public YamlNode Node => _node;

    public string Field(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public YamlNode? Get(string key, bool required)
    {
        _read.Add(key);
        foreach (var (k, v) in _node.Children)
            if (k is YamlScalarNode s && s.Value == key)
            {
                Diags.Positions[Field(key)] = v;
                return v;
            }
        if (required) Diags.Error(_node, Field(key), $"missing required key '{key}'");
        return null;
    }

    public string? String(string key, bool required = true)
    {
        var n = Get(key, required);
        if (n is null) return null;
        if (n is YamlScalarNode { Value: { Length: > 0 } v })
        {
            if (FieldRules.Text(v) is not { } problem) return v;
            Diags.Error(n, Field(key), problem);
            return null;
        }
        Diags.Error(n, Field(key), "must be a non-empty text value");
        return null;
    }

    /// <summary>
    /// Like <see cref="String(string, bool)"/>, then checked by <paramref name="rule"/> (a <see cref="FieldRules"/> check: null
    /// when the value is what the field names); an error at the value's position otherwise.
    /// </summary>
    public string? String(string key, Func<string, string?> rule, bool required = true)
    {
        var v = String(key, required);
        if (v is null || rule(v) is not { } problem) return v;
        Diags.Error(Get(key, false), Field(key), problem);
        return null;
    }

    public int? Int(string key, bool required, int min, int max)
    {
        var n = Get(key, required);
        if (n is null) return null;
        if (n is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max)
            return i;
        Diags.Error(n, Field(key), $"must be a whole number from {min} to {max}");
        return null;
    }

    public YamlNodeReader? Mapping(string key, bool required = true)
    {
        var n = Get(key, required);
        if (n is null) return null;
        if (n is YamlMappingNode m) return new YamlNodeReader(m, Field(key), Diags);
        Diags.Error(n, Field(key), "must be a mapping (key: value lines)");
        return null;
    }

    public IReadOnlyList<YamlNode> Sequence(string key, bool required = true)
    {
        var n = Get(key, required);
        if (n is null) return [];
        if (n is YamlSequenceNode s) return s.Children.ToList();
        Diags.Error(n, Field(key), "must be a list");
        return [];
    }

    public IReadOnlyList<(string Value, YamlNode Node)> Strings(string key, bool required = true)
    {
        var result = new List<(string, YamlNode)>();
        foreach (var item in Sequence(key, required))
        {
            if (item is YamlScalarNode { Value: { Length: > 0 } v })
            {
                if (FieldRules.Text(v) is { } problem) Diags.Error(item, Field(key), problem);
                else result.Add((v, item));
            }
            else Diags.Error(item, Field(key), "list items must be text values");
        }
        return result;
    }

    /// <summary>Reports every key that no accessor asked for.</summary>
    public void Finish()
    {
        foreach (var (k, _) in _node.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(name))
                Diags.Error(k, Field(name), $"unknown key '{name}'" + Suggest(name));
        }
    }

    private string Suggest(string name)
    {
        var best = _read.OrderBy(k => Distance(k.ToLowerInvariant(), name.ToLowerInvariant())).FirstOrDefault();
        return best is not null && Distance(best.ToLowerInvariant(), name.ToLowerInvariant()) <= 3 ? $"; did you mean '{best}'?" : $"; known keys here: {string.Join(", ", _read)}";
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

/// <summary>Collects diagnostics for one file, with positions taken from YAML nodes.</summary>
internal sealed class Diagnostics(string file)
{
    public List<Diagnostic> Items { get; } = [];

    /// <summary>Every node read, by field path (e.g. <c>hub.relay.backend</c>), for cross-field checks.</summary>
    public Dictionary<string, YamlNode> Positions { get; } = [];

    public YamlNode? At(string field) => Positions.GetValueOrDefault(field);

    public string File => file;

    public bool HasErrors => Items.Any(d => d.Severity == DiagnosticSeverity.Error);

    public void Error(YamlNode? node, string field, string message) =>
        Items.Add(Diagnostic.Error(file, (int)(node?.Start.Line ?? 0), (int)(node?.Start.Column ?? 0), field, message));

    public void Warning(YamlNode? node, string field, string message) =>
        Items.Add(Diagnostic.Warning(file, (int)(node?.Start.Line ?? 0), (int)(node?.Start.Column ?? 0), field, message));
}
