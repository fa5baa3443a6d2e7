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
}
