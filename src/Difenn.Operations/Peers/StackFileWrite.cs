namespace Difenn.Operations.Peers;

/// <summary>Replaces a stack file's text atomically, and only if nobody changed it since it was read.</summary>
internal static class StackFileWrite
{
    public static void Replace(string path, string expected, string text)
    {
        if (File.ReadAllText(path) != expected)
            throw new PeerEditException($"{path} changed while difenn was editing it; nothing was written, run the command again");
        var temp = path + ".difenn.tmp";
        File.WriteAllText(temp, text);
        try
        {
            // Keep the file's mode (a rename would otherwise give it the temp file's).
            File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
