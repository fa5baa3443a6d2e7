namespace Difenn.WireGuard.OpenWrt;

/// <summary>A section of a uci package as <c>uci export</c> prints it.</summary>
/// <param name="Type">Section type, e.g. <c>interface</c> or <c>wireguard_wg_difenn</c>.</param>
/// <param name="Name">Section name (null for an anonymous section).</param>
/// <param name="Options">Single-valued options.</param>
/// <param name="Lists">List options, values in order.</param>
public sealed record UciSection(string Type, string? Name, IReadOnlyDictionary<string, string> Options, IReadOnlyDictionary<string, IReadOnlyList<string>> Lists)
{
    /// <summary>An option's value, or null.</summary>
    public string? Option(string name) => Options.GetValueOrDefault(name);

    /// <summary>A list's values (empty when absent; a single-valued option of that name counts as a one-item list).</summary>
    public IReadOnlyList<string> List(string name) =>
        Lists.TryGetValue(name, out var l) ? l : Options.TryGetValue(name, out var o) ? [o] : [];
}

/// <summary>
/// Parses <c>uci export &lt;package&gt;</c> (the format of <c>/etc/config/*</c>): <c>package</c>, <c>config TYPE
/// ['NAME']</c>, <c>option KEY VALUE</c>, <c>list KEY VALUE</c>; values bare, single-quoted (with <c>'\''</c>) or
/// double-quoted. Errors name the line.
/// </summary>
public static class UciExportParser
{
    /// <summary>Parses the text into sections, in order.</summary>
    public static IReadOnlyList<UciSection> Parse(string text)
    {
        var sections = new List<UciSection>();
        Dictionary<string, string>? options = null;
        Dictionary<string, List<string>>? lists = null;
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var words = Words(lines[i], i + 1);
            if (words.Count == 0 || words[0] == "package") continue;
            switch (words[0])
            {
                case "config" when words.Count is 2 or 3:
                    options = [];
                    lists = [];
                    sections.Add(new UciSection(words[1], words.Count == 3 ? words[2] : null, options,
                        new ListView(lists)));
                    break;
                case "option" when words.Count == 3 && options is not null:
                    options[words[1]] = words[2];
                    break;
                case "list" when words.Count == 3 && lists is not null:
                    (lists.TryGetValue(words[1], out var l) ? l : lists[words[1]] = []).Add(words[2]);
                    break;
                default:
                    throw new FormatException($"uci export line {i + 1}: expected 'config TYPE [NAME]', 'option KEY VALUE' or 'list KEY VALUE'");
            }
        }
        return sections;
    }

    private static List<string> Words(string line, int n)
    {
        var words = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i >= line.Length || line[i] == '#') return words;
            var word = new System.Text.StringBuilder();
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
            {
                var c = line[i];
                if (c is '\'' or '"')
                {
                    var end = line.IndexOf(c, i + 1);
                    if (end < 0) throw new FormatException($"uci export line {n}: unterminated quote");
                    word.Append(line, i + 1, end - i - 1);
                    i = end + 1;
                }
                else if (c == '\\' && i + 1 < line.Length)
                {
                    word.Append(line[i + 1]);
                    i += 2;
                }
                else
                {
                    word.Append(c);
                    i++;
                }
            }
            words.Add(word.ToString());
        }
    }

    // A read-only view whose lists keep filling while the section is parsed.
    private sealed class ListView(Dictionary<string, List<string>> inner) : IReadOnlyDictionary<string, IReadOnlyList<string>>
    {
        public IReadOnlyList<string> this[string key] => inner[key];
        public IEnumerable<string> Keys => inner.Keys;
        public IEnumerable<IReadOnlyList<string>> Values => inner.Values;
        public int Count => inner.Count;
        public bool ContainsKey(string key) => inner.ContainsKey(key);
        public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator() =>
            inner.Select(kv => new KeyValuePair<string, IReadOnlyList<string>>(kv.Key, kv.Value)).GetEnumerator();
        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out IReadOnlyList<string> value)
        {
            var ok = inner.TryGetValue(key, out var l);
            value = l;
            return ok;
        }
    }
}
