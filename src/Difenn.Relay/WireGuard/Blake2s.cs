using System.Buffers.Binary;
using System.Numerics;

namespace Difenn.Relay.WireGuard;

/// <summary>
/// BLAKE2s (RFC 7693), keyed or not, for outputs up to 32 bytes. Written here (rather than taken from a package)
/// because the relay checks MAC1 on the hot path: this version works on stack memory only and allocates nothing,
/// and it keeps the Native AOT binary free of large dependencies. Tested against RFC 7693's vectors and an
/// independent implementation (BouncyCastle) in the tests.
/// </summary>
internal static class Blake2s
{
    private static ReadOnlySpan<uint> IV => [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19];

    private static ReadOnlySpan<byte> Sigma =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ];

    /// <summary>Hashes <paramref name="data"/> (keyed when <paramref name="key"/> is not empty) into <paramref name="output"/> (1–32 bytes).</summary>
    public static void Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> output)
    {
        if (output.Length is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(output));
        if (key.Length > 32) throw new ArgumentOutOfRangeException(nameof(key));
        Span<uint> h = stackalloc uint[8];
        IV.CopyTo(h);
        h[0] ^= 0x01010000u ^ ((uint)key.Length << 8) ^ (uint)output.Length;
        Span<byte> block = stackalloc byte[64];
        ulong counter = 0;
        if (key.Length > 0)
        {
            block.Clear();
            key.CopyTo(block);
            counter = 64;
            Compress(h, block, counter, last: data.Length == 0);
        }
        var offset = 0;
        while (data.Length - offset > 64)
        {
            counter += 64;
            Compress(h, data.Slice(offset, 64), counter, last: false);
            offset += 64;
        }
        if (data.Length > 0 || key.Length == 0)
        {
            block.Clear();
            data[offset..].CopyTo(block);
            counter += (ulong)(data.Length - offset);
            Compress(h, block, counter, last: true);
        }
        Span<byte> full = stackalloc byte[32];
        for (var i = 0; i < 8; i++) BinaryPrimitives.WriteUInt32LittleEndian(full[(i * 4)..], h[i]);
        full[..output.Length].CopyTo(output);
    }

    private static void Compress(Span<uint> h, ReadOnlySpan<byte> block, ulong counter, bool last)
    {
        Span<uint> m = stackalloc uint[16];
        for (var i = 0; i < 16; i++) m[i] = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
        Span<uint> v = stackalloc uint[16];
        h.CopyTo(v);
        IV.CopyTo(v[8..]);
        v[12] ^= (uint)counter;
        v[13] ^= (uint)(counter >> 32);
        if (last) v[14] = ~v[14];
        var sigma = Sigma;
        for (var r = 0; r < 10; r++)
        {
            var s = sigma.Slice(r * 16, 16);
            G(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            G(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            G(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            G(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            G(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            G(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            G(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            G(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (var i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
    }

    private static void G(Span<uint> v, int a, int b, int c, int d, uint x, uint y)
    {
        v[a] = v[a] + v[b] + x;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 12);
        v[a] = v[a] + v[b] + y;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 8);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 7);
    }
}
