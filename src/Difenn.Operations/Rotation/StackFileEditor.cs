namespace Difenn.Operations.Rotation;

/// <summary>
/// Replaces a public key in a stack file as text, so comments and layout survive. A key is 44 unique characters, so
/// an exact replacement cannot hit anything else; the file must hold the old key exactly once per expected use.
/// </summary>
public static class StackFileEditor
{
    /// <summary>Replaces every occurrence of <paramref name="oldKey"/> with <paramref name="newKey"/> in <paramref name="path"/> (atomically).</summary>
    public static void ReplaceKey(string path, string oldKey, string newKey)
    {
        var text = File.ReadAllText(path);
        if (!text.Contains(oldKey, StringComparison.Ordinal))
            throw new InvalidOperationException($"{path} does not contain the public key {oldKey}; was it edited during the rotation?");
        var temp = path + ".difenn.tmp";
        File.WriteAllText(temp, text.Replace(oldKey, newKey, StringComparison.Ordinal));
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// After a server key rotation: <c>server.publicKey</c> becomes <paramref name="newKey"/> and
    /// <c>server.previousPublicKeys</c> becomes <c>[oldKey]</c> (replacing any earlier list), comments kept.
    /// </summary>
    public static void RotateServerKey(string path, string oldKey, string newKey)
    {
        var lines = File.ReadAllLines(path).ToList();
        var at = lines.FindIndex(l => l.TrimStart().StartsWith("publicKey:", StringComparison.Ordinal) && l.Contains(oldKey, StringComparison.Ordinal));
        if (at < 0) throw new InvalidOperationException($"{path} has no 'publicKey: {oldKey}' line; was it edited during the rotation?");
        var indent = lines[at][..(lines[at].Length - lines[at].TrimStart().Length)];
        var previous = lines.FindIndex(l => l.StartsWith(indent + "previousPublicKeys:", StringComparison.Ordinal));
        if (previous >= 0)
        {
            // A block list continues on deeper-indented "- key" lines: they go too.
            var end = previous + 1;
            while (end < lines.Count && lines[end].StartsWith(indent + " ", StringComparison.Ordinal) && lines[end].TrimStart().StartsWith('-')) end++;
            lines.RemoveRange(previous, end - previous);
            if (previous < at) at -= end - previous;
        }
        lines[at] = lines[at].Replace(oldKey, newKey, StringComparison.Ordinal);
        lines.Insert(at + 1, $"{indent}previousPublicKeys: [{oldKey}]  # before the last rotation: the relay's MAC1 gate still lets it through (harmless)");
        var temp = path + ".difenn.tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, path, overwrite: true);
    }
}
