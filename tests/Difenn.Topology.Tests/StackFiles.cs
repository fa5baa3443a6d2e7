namespace Difenn.Topology.Tests;

/// <summary>The repository's stack files and edited copies of them.</summary>
internal static class StackFiles
{
    public static string RepoRoot() => Difenn.Testing.RepoFiles.Root;

    public static string ProdPath => Difenn.Testing.RepoFiles.ProdStackPath;

    public static string Prod => File.ReadAllText(ProdPath);

    /// <summary>prod.yaml with one exact text replaced (fails when the text is not there, so edits cannot rot).</summary>
    public static string ProdWith(string find, string replace)
    {
        var text = Prod;
        Assert.Contains(find, text);
        return text.Replace(find, replace);
    }

    /// <summary>1-based line of the first occurrence of <paramref name="needle"/> in <paramref name="text"/>.</summary>
    public static int LineOf(string text, string needle)
    {
        var i = text.IndexOf(needle, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{needle}' not in text");
        return text[..i].Count(c => c == '\n') + 1;
    }
}
