using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Difenn.WireGuard.Keys;

/// <summary>
/// A Curve25519 public key as WireGuard uses it (32 bytes, shown as base64). Public keys are not secret:
/// <see cref="ToString"/> returns the base64 form that <c>wg pubkey</c> prints.
/// </summary>
public sealed class WireGuardPublicKey : IEquatable<WireGuardPublicKey>
{
    private readonly byte[] _bytes;

    private WireGuardPublicKey(byte[] bytes) => _bytes = bytes;

    /// <summary>Creates a public key from its 32 raw bytes (copied).</summary>
    public static WireGuardPublicKey FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != KeyEncoding.KeyLength)
            throw new ArgumentException($"a public key is {KeyEncoding.KeyLength} bytes", nameof(bytes));
        return new WireGuardPublicKey(bytes.ToArray());
    }

    /// <summary>Parses the base64 form. Throws <see cref="FormatException"/> with the reason.</summary>
    public static WireGuardPublicKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException($"invalid public key: {error}");

    /// <summary>Parses the base64 form, reporting why it is not a key.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out WireGuardPublicKey? key, [NotNullWhen(false)] out string? error)
    {
        var bytes = new byte[KeyEncoding.KeyLength];
        if (!KeyEncoding.TryDecode(text, bytes, out error))
        {
            key = null;
            return false;
        }
        key = new WireGuardPublicKey(bytes);
        return true;
    }

    /// <summary>The raw 32 bytes.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>The base64 form, as <c>wg pubkey</c> prints it.</summary>
    public string ToBase64() => KeyEncoding.Encode(_bytes);

    /// <inheritdoc />
    public override string ToString() => ToBase64();

    /// <summary>Constant-time comparison of the key bytes.</summary>
    public bool Equals(WireGuardPublicKey? other) =>
        other is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as WireGuardPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    /// <summary>Equality by key bytes.</summary>
    public static bool operator ==(WireGuardPublicKey? a, WireGuardPublicKey? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Inequality by key bytes.</summary>
    public static bool operator !=(WireGuardPublicKey? a, WireGuardPublicKey? b) => !(a == b);
}
