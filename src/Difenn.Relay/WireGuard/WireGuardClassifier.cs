using System.Security.Cryptography;

namespace Difenn.Relay.WireGuard;

/// <summary>What a datagram is, as far as the relay cares.</summary>
public enum PacketKind
{
    /// <summary>Not a WireGuard message (wrong type, size or reserved bytes).</summary>
    Invalid,

    /// <summary>Type 1, exactly 148 bytes.</summary>
    HandshakeInitiation,

    /// <summary>Type 2, exactly 92 bytes.</summary>
    HandshakeResponse,

    /// <summary>Type 3, exactly 64 bytes.</summary>
    CookieReply,

    /// <summary>Type 4, at least 32 bytes (16 header + 16 tag; a keepalive is exactly 32).</summary>
    TransportData,
}

/// <summary>
/// Classifies datagrams by WireGuard's wire format (type byte, three zero bytes, fixed sizes) and, given the
/// server's public key (or keys, during a rotation), checks a handshake initiation's MAC1 — which only someone knowing that public key can
/// compute — so junk and floods never reach the backend nor open sessions. Allocation-free.
/// </summary>
internal sealed class WireGuardClassifier
{
    /// <summary>Size of a handshake initiation.</summary>
    public const int InitiationSize = 148;

    // Replaced whole (never changed in place) when the server keys file changes: a reader sees the old or the new set.
    private volatile byte[][] _mac1Keys = [];

    /// <summary>Creates a classifier; with <paramref name="serverPublicKey"/> (32 bytes) initiations' MAC1 is verified.</summary>
    public WireGuardClassifier(ReadOnlySpan<byte> serverPublicKey)
        : this(serverPublicKey.IsEmpty ? [] : [serverPublicKey.ToArray()])
    {
    }

    /// <summary>
    /// Creates a classifier that accepts an initiation whose MAC1 is valid for any of <paramref name="serverPublicKeys"/>
    /// (old and new key while the server's key is rotated); none: MAC1 is not checked.
    /// </summary>
    public WireGuardClassifier(IReadOnlyList<byte[]> serverPublicKeys) => SetServerKeys(serverPublicKeys);

    /// <summary>Replaces the keys initiations are checked against (a rotation adds the new one while running).</summary>
    public void SetServerKeys(IReadOnlyList<byte[]> serverPublicKeys)
    {
        var keys = new byte[serverPublicKeys.Count][];
        Span<byte> input = stackalloc byte[40];
        for (var i = 0; i < serverPublicKeys.Count; i++)
        {
            if (serverPublicKeys[i].Length != 32) throw new ArgumentException("a WireGuard public key is 32 bytes", nameof(serverPublicKeys));
            // mac1 key = BLAKE2s-256("mac1----" || responder public key), as in wireguard-go device/cookie.go.
            "mac1----"u8.CopyTo(input);
            serverPublicKeys[i].CopyTo(input[8..]);
            keys[i] = new byte[32];
            Blake2s.Hash([], input, keys[i]);
        }
        _mac1Keys = keys;
    }

    /// <summary>True when initiations are checked against the server's key.</summary>
    public bool VerifiesMac1 => _mac1Keys.Length > 0;

    /// <summary>Classifies <paramref name="packet"/> by type and size.</summary>
    public static PacketKind Classify(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 32 || packet[1] != 0 || packet[2] != 0 || packet[3] != 0) return PacketKind.Invalid;
        return packet[0] switch
        {
            1 when packet.Length == 148 => PacketKind.HandshakeInitiation,
            2 when packet.Length == 92 => PacketKind.HandshakeResponse,
            3 when packet.Length == 64 => PacketKind.CookieReply,
            4 => PacketKind.TransportData, // padded to 16 but capped at the MTU: no multiple-of-16 rule
            _ => PacketKind.Invalid,
        };
    }

    /// <summary>
    /// True when <paramref name="initiation"/> (148 bytes) carries a MAC1 valid for the server. Without a server key,
    /// always true. Compared in constant time.
    /// </summary>
    public bool HasValidMac1(ReadOnlySpan<byte> initiation)
    {
        var keys = _mac1Keys;
        if (keys.Length == 0) return true;
        if (initiation.Length != InitiationSize) return false;
        // MAC1 covers every byte before it; it is followed by MAC2 (the last 32 bytes are MAC1 ‖ MAC2).
        var macOffset = initiation.Length - 32;
        Span<byte> mac = stackalloc byte[16];
        var valid = false;
        foreach (var key in keys)
        {
            Blake2s.Hash(key, initiation[..macOffset], mac);
            valid |= CryptographicOperations.FixedTimeEquals(mac, initiation.Slice(macOffset, 16));
        }
        return valid;
    }
}
