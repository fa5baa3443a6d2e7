using System.Diagnostics.CodeAnalysis;

namespace Difenn.WireGuard.Keys;

/// <summary>The textual form WireGuard uses for every key: standard base64 of exactly 32 bytes (44 characters).</summary>
public static class KeyEncoding
{
    /// <summary>Length in bytes of every WireGuard key (private, public, preshared).</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the base64 text of a key, padding included.</summary>
    public const int Base64Length = 44;

    /// <summary>
    /// Decodes <paramref name="text"/> into <paramref name="key"/>. Returns false, with a reason that never
    /// repeats the input (it may be a secret), when the text is not base64 of exactly 32 bytes.
    /// </summary>
    public static bool TryDecode(string? text, Span<byte> key, [NotNullWhen(false)] out string? error)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"destination must be {KeyLength} bytes", nameof(key));
        if (string.IsNullOrEmpty(text))
        {
            error = "key is empty";
            return false;
        }
        if (text.Length != Base64Length)
        {
            error = $"key must be {Base64Length} base64 characters (32 bytes), got {text.Length} characters";
            return false;
        }
        Span<byte> buffer = stackalloc byte[33];
        if (!Convert.TryFromBase64String(text, buffer, out int written) || written != KeyLength || text[^1] != '=')
        {
            error = "key is not valid base64 of 32 bytes";
            return false;
        }
        buffer[..KeyLength].CopyTo(key);
        buffer.Clear();
        error = null;
        return true;
    }

    /// <summary>Encodes 32 key bytes as base64 (44 characters).</summary>
    public static string Encode(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
            throw new ArgumentException($"key must be {KeyLength} bytes", nameof(key));
        return Convert.ToBase64String(key);
    }
}
