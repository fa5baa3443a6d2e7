using System.Security.Cryptography;

namespace Difenn.WireGuard.Keys;

/// <summary>
/// Holds 32 secret bytes. Shared by private and preshared keys so that both get the same guarantees:
/// constant-time equality, and no member that turns the secret into text by accident.
/// </summary>
internal sealed class SecretKeyBytes
{
    private readonly byte[] _bytes;

    public SecretKeyBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != KeyEncoding.KeyLength)
            throw new ArgumentException($"a key is {KeyEncoding.KeyLength} bytes", nameof(bytes));
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Span => _bytes;

    public string RevealBase64() => KeyEncoding.Encode(_bytes);

    public bool FixedTimeEquals(SecretKeyBytes other) => CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    // A hash of a secret must not leak it: derive it from a one-way digest, not from the bytes themselves.
    public int SafeHashCode() => BitConverter.ToInt32(SHA256.HashData(_bytes), 0);
}
