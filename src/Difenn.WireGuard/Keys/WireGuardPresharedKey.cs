using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace Difenn.WireGuard.Keys;

/// <summary>
/// A WireGuard preshared key (32 random bytes, as <c>wg genpsk</c> makes). Secret like a private key:
/// <see cref="ToString"/>, the debugger display and JSON show <c>[preshared key]</c>.
/// </summary>
[DebuggerDisplay("[preshared key]")]
[JsonConverter(typeof(RedactingJsonConverter<WireGuardPresharedKey>))]
public sealed class WireGuardPresharedKey : IEquatable<WireGuardPresharedKey>
{
    private readonly SecretKeyBytes _secret;

    private WireGuardPresharedKey(ReadOnlySpan<byte> bytes) => _secret = new SecretKeyBytes(bytes);

    /// <summary>Generates 32 random bytes from the OS's CSPRNG (no clamping, as <c>wg genpsk</c>).</summary>
    public static WireGuardPresharedKey Generate()
    {
        Span<byte> bytes = stackalloc byte[KeyEncoding.KeyLength];
        RandomNumberGenerator.Fill(bytes);
        var key = new WireGuardPresharedKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return key;
    }

    /// <summary>Parses the base64 form. The exception message never contains the input.</summary>
    public static WireGuardPresharedKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException($"invalid preshared key: {error}");

    /// <summary>Parses the base64 form, reporting why it is not a key.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out WireGuardPresharedKey? key, [NotNullWhen(false)] out string? error)
    {
        Span<byte> bytes = stackalloc byte[KeyEncoding.KeyLength];
        if (!KeyEncoding.TryDecode(text, bytes, out error))
        {
            key = null;
            return false;
        }
        key = new WireGuardPresharedKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return true;
    }

    /// <summary>The secret as base64. Call only to write it where a secret belongs.</summary>
    public string RevealBase64() => _secret.RevealBase64();

    /// <summary>Always <c>[preshared key]</c>.</summary>
    public override string ToString() => "[preshared key]";

    /// <summary>Constant-time comparison.</summary>
    public bool Equals(WireGuardPresharedKey? other) => other is not null && _secret.FixedTimeEquals(other._secret);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as WireGuardPresharedKey);

    /// <inheritdoc />
    public override int GetHashCode() => _secret.SafeHashCode();
}
