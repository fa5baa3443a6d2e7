namespace Difenn.Operations.Peers;

/// <summary>
/// Adds and removes a peer in a stack file's text, so every other line (comments, layout, key order) stays as the
/// operator wrote it. Only block-style <c>peers:</c> sequences are edited (what <c>stacks/prod.yaml</c> uses); the
/// caller re-loads the result to validate it before anything is written.
/// </summary>
public static class StackPeerText
{
    /// <summary>
    /// Inserts a peer after the last entry of the top-level <c>peers:</c> sequence (or creates the sequence).
    /// <paramref name="fields"/> are the peer's lines relative to its mapping (first line becomes <c>- first</c>;
    /// nested lines keep their extra indentation); the existing entries' indentation is reused.
    /// </summary>
    public static string AddPeer(string text, IReadOnlyList<string> fields)
    {
        var lines = SplitLines(text, out var newline);
        var (start, end) = PeersBlock(lines);
        if (start < 0)
        {
            // No peers: key at all: append one at the end of the file.
            while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
            lines.Add("");
            lines.Add("peers:");
            lines.AddRange(Render(fields, "  "));
            return Join(lines, newline);
        }
        var header = lines[start];
        var flowEmpty = System.Text.RegularExpressions.Regex.IsMatch(header, @"^peers:\s*\[\s*\]\s*(#.*)?$");
        if (flowEmpty) lines[start] = "peers:" + header[(header.IndexOf(']') + 1)..];
        else if (!System.Text.RegularExpressions.Regex.IsMatch(header, @"^peers:\s*(#.*)?$"))
            throw new InvalidOperationException("the stack's peers: is not a block list ('peers:' then '- name: ...' lines); add the peer by hand");
        var items = ItemStarts(lines, start, end);
        var indent = items.Count > 0 ? lines[items[0]][..(lines[items[0]].Length - lines[items[0]].TrimStart().Length)] : "  ";
        // After the last line that belongs to the block (trailing blank lines and comments stay with what follows).
        var at = start + 1;
        for (var i = start + 1; i < end; i++)
            if (lines[i].Trim().Length > 0 && !lines[i].TrimStart().StartsWith('#')) at = i + 1;
        lines.InsertRange(at, Render(fields, indent));
        return Join(lines, newline);
    }

    /// <summary>Removes the entry of the peer named <paramref name="name"/> (its lines, up to the next entry); null when absent.</summary>
    public static string? RemovePeer(string text, string name)
    {
        var lines = SplitLines(text, out var newline);
        var (start, end) = PeersBlock(lines);
        if (start < 0) return null;
        var items = ItemStarts(lines, start, end);
        for (var k = 0; k < items.Count; k++)
        {
            var from = items[k];
            var to = k + 1 < items.Count ? items[k + 1] : end;
            // The last entry ends at its last content line: trailing blank lines and comments belong to what follows.
            if (k + 1 == items.Count)
                for (var i = to - 1; i > from && (lines[i].Trim().Length == 0 || lines[i].TrimStart().StartsWith('#')); i--) to = i;
            var nameLine = System.Text.RegularExpressions.Regex.Escape(name);
            if (!Enumerable.Range(from, to - from).Any(i => System.Text.RegularExpressions.Regex.IsMatch(lines[i], $@"^\s*(-\s+)?name:\s*['""]?{nameLine}['""]?\s*(#.*)?$")))
                continue;
            lines.RemoveRange(from, to - from);
            if (items.Count == 1) lines[start] = "peers: []" + (lines[start].Contains('#') ? "  " + lines[start][lines[start].IndexOf('#')..] : "");
            return Join(lines, newline);
        }
        return null;
    }

    private static List<string> Render(IReadOnlyList<string> fields, string indent)
    {
        var result = new List<string>(fields.Count);
        for (var i = 0; i < fields.Count; i++)
            result.Add(i == 0 ? $"{indent}- {fields[i]}" : $"{indent}  {fields[i]}");
        return result;
    }

    /// <summary>The top-level <c>peers:</c> line and the index after its block (the next top-level key or the end).</summary>
    private static (int Start, int End) PeersBlock(List<string> lines)
    {
        var start = lines.FindIndex(l => l.StartsWith("peers:", StringComparison.Ordinal));
        if (start < 0) return (-1, -1);
        var end = start + 1;
        while (end < lines.Count && (lines[end].Length == 0 || char.IsWhiteSpace(lines[end][0]) || lines[end][0] == '#' || lines[end][0] == '-')) end++;
        return (start, end);
    }

    /// <summary>Lines that start an entry: "- " at the indentation of the block's first entry.</summary>
    private static List<int> ItemStarts(List<string> lines, int start, int end)
    {
        var result = new List<int>();
        string? indent = null;
        for (var i = start + 1; i < end; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (!trimmed.StartsWith("- ", StringComparison.Ordinal) && trimmed != "-") continue;
            var lead = lines[i][..(lines[i].Length - trimmed.Length)];
            indent ??= lead;
            if (lead == indent) result.Add(i);
        }
        return result;
    }

    private static List<string> SplitLines(string text, out string newline)
    {
        newline = text.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = text.Split(newline).ToList();
        if (lines.Count > 0 && lines[^1].Length == 0) lines.RemoveAt(lines.Count - 1); // the final newline
        return lines;
    }

    private static string Join(List<string> lines, string newline) => string.Join(newline, lines) + newline;
}
