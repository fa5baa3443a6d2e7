using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace Difenn.WireGuard.Keys;

/// <summary>
/// A WireGuard (X25519) private key. The secret never leaves this type by accident: <see cref="ToString"/>,
/// the debugger display and JSON serialisation show <c>[private key]</c>; only <see cref="RevealBase64"/> gives
/// the base64 text, for writing a key file or a config.
/// </summary>
[DebuggerDisplay("[private key] public={PublicKey}")]
[JsonConverter(typeof(RedactingJsonConverter<WireGuardPrivateKey>))]
public sealed class WireGuardPrivateKey : IEquatable<WireGuardPrivateKey>
{
    private readonly SecretKeyBytes _secret;
    private WireGuardPublicKey? _publicKey;

    private WireGuardPrivateKey(ReadOnlySpan<byte> bytes) => _secret = new SecretKeyBytes(bytes);

    /// <summary>
    /// Generates a new private key from the OS's CSPRNG and clamps it as X25519 requires, exactly as
    /// <c>wg genkey</c> does (clear bits 0–2 of byte 0 and bit 7 of byte 31, set bit 6 of byte 31).
    /// </summary>
    public static WireGuardPrivateKey Generate()
    {
        Span<byte> bytes = stackalloc byte[KeyEncoding.KeyLength];
        RandomNumberGenerator.Fill(bytes);
        Clamp(bytes);
        var key = new WireGuardPrivateKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return key;
    }

    /// <summary>Creates a key from 32 raw bytes (copied, used as given: <c>wg pubkey</c> clamps when deriving).</summary>
    public static WireGuardPrivateKey FromBytes(ReadOnlySpan<byte> bytes) => new(bytes);

    /// <summary>Parses the base64 form. The exception message never contains the input.</summary>
    public static WireGuardPrivateKey Parse(string text) =>
        TryParse(text, out var key, out var error) ? key : throw new FormatException($"invalid private key: {error}");

    /// <summary>Parses the base64 form, reporting why it is not a key (the reason never repeats the input).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out WireGuardPrivateKey? key, [NotNullWhen(false)] out string? error)
    {
        Span<byte> bytes = stackalloc byte[KeyEncoding.KeyLength];
        if (!KeyEncoding.TryDecode(text, bytes, out error))
        {
            key = null;
            return false;
        }
        key = new WireGuardPrivateKey(bytes);
        CryptographicOperations.ZeroMemory(bytes);
        return true;
    }

    /// <summary>The X25519 public key for this private key, the same bytes <c>wg pubkey</c> derives.</summary>
    public WireGuardPublicKey PublicKey => _publicKey ??= DerivePublicKey();

    /// <summary>The secret as base64 (44 characters). Call only to write it where a secret belongs.</summary>
    public string RevealBase64() => _secret.RevealBase64();

    /// <summary>Always <c>[private key]</c>: a private key must never reach a log through string formatting.</summary>
    public override string ToString() => "[private key]";

    /// <summary>Constant-time comparison of the key bytes.</summary>
    public bool Equals(WireGuardPrivateKey? other) => other is not null && _secret.FixedTimeEquals(other._secret);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as WireGuardPrivateKey);

    /// <inheritdoc />
    public override int GetHashCode() => _secret.SafeHashCode();

    /// <summary>Clamps 32 bytes in place as X25519 (RFC 7748 §5) and <c>wg genkey</c> do.</summary>
    public static void Clamp(Span<byte> key)
    {
        key[0] &= 248;
        key[31] &= 127;
        key[31] |= 64;
    }

    private WireGuardPublicKey DerivePublicKey()
    {
        // X25519.ScalarMultBase decodes the scalar with clamping (RFC 7748), so unclamped input gives the same
        // result as `wg pubkey`, which also clamps before multiplying.
        var scalar = _secret.Span.ToArray();
        var pub = new byte[KeyEncoding.KeyLength];
        X25519.ScalarMultBase(scalar, 0, pub, 0);
        CryptographicOperations.ZeroMemory(scalar);
        return WireGuardPublicKey.FromBytes(pub);
    }
}
