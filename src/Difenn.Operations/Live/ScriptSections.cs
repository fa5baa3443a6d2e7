namespace Difenn.Operations.Live;

/// <summary>
/// The protocol of the probe scripts: each piece of live state is printed after a line <c>@@difenn:NAME</c>, so
/// one SSH round trip reads a whole host and a missing tool only empties its own section.
/// </summary>
public static class ScriptSections
{
    /// <summary>The line that opens section <paramref name="name"/>, as a shell command.</summary>
    public static string Begin(string name) => $"echo '@@difenn:{name}'\n";

    /// <summary>Splits a probe's output into its sections (text without the marker lines).</summary>
    public static IReadOnlyDictionary<string, string> Parse(string output)
    {
        var sections = new Dictionary<string, string>();
        string? current = null;
        var sb = new System.Text.StringBuilder();
        foreach (var line in output.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith("@@difenn:", StringComparison.Ordinal))
            {
                if (current is not null) sections[current] = sb.ToString();
                current = line["@@difenn:".Length..].Trim();
                sb.Clear();
            }
            else if (current is not null)
            {
                sb.Append(line).Append('\n');
            }
        }
        if (current is not null) sections[current] = sb.ToString().TrimEnd('\n') + (sb.Length > 0 ? "\n" : "");
        return sections;
    }
}
