using System.Security.Cryptography;

namespace Difenn.Relay.Configuration;

/// <summary>
/// The server public keys the MAC1 gate accepts, read from a file (<c>--server-public-keys-file</c>): one base64 key
/// per line, blank lines and <c>#</c> comments ignored. The relay re-reads it when it changes (checked every second),
/// so a rotation adds the new key without restarting the relay (a restart drops the datagrams of that moment).
/// </summary>
public sealed class ServerKeysFile(string path)
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;

    private (DateTime Written, long Length) _stamp;

    /// <summary>
    /// Reads the file: the keys (32 bytes each, at least one) and the SHA-256 of its bytes (lowercase hex), which the
    /// relay publishes so a deploy can tell when the new keys are in force. Throws <see cref="FormatException"/>
    /// naming the file and line of a bad key, or <see cref="IOException"/>/<see cref="UnauthorizedAccessException"/>.
    /// </summary>
    public (IReadOnlyList<byte[]> Keys, string Sha256) Read()
    {
        var info = new FileInfo(Path);
        _stamp = (info.LastWriteTimeUtc, info.Length);
        var bytes = File.ReadAllBytes(Path);
        var keys = new List<byte[]>();
        var lines = System.Text.Encoding.UTF8.GetString(bytes).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var key = new byte[33];
            if (!Convert.TryFromBase64String(line, key, out var n) || n != 32)
                throw new FormatException($"{Path}:{i + 1}: not a base64 WireGuard public key (44 characters)");
            keys.Add(key[..32]);
        }
        if (keys.Count == 0) throw new FormatException($"{Path}: no key (one base64 public key per line)");
        return (keys, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>True when the file's modification time or length differs from when it was last read (or it is gone).</summary>
    public bool Changed()
    {
        try
        {
            var info = new FileInfo(Path);
            return !info.Exists || (info.LastWriteTimeUtc, info.Length) != _stamp;
        }
        catch (IOException)
        {
            return true;
        }
    }
}
