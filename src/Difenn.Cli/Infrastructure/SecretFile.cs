namespace Difenn.Cli.Infrastructure;

/// <summary>Writes secrets to files that only their owner can read.</summary>
public static class SecretFile
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> with mode 0600 from the first byte: a temp file is
    /// created 0600 beside it and renamed into place, so the secret is never readable by others, not even briefly,
    /// and a crash never leaves half a key. Refuses to replace an existing file unless <paramref name="overwrite"/>.
    /// </summary>
    public static void Write(string path, string content, bool overwrite)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new UsageException($"{path} is a directory; give the path of a file to create in it");
        if (!overwrite && File.Exists(full))
            throw new CommandFailedException($"{path} already exists; pass --force to replace it (the old key will be lost)");
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new CommandFailedException($"directory {dir} does not exist");
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var fs = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerReadWrite }))
            using (var w = new StreamWriter(fs))
                w.Write(content);
            File.Move(temp, full, overwrite);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new CommandFailedException($"cannot write {path}: {ex.Message}");
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
