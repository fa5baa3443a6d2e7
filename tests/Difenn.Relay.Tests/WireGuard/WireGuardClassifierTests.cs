using Difenn.Relay.WireGuard;

namespace Difenn.Relay.Tests.WireGuard;

public class WireGuardClassifierTests
{
    private static byte[] Message(byte type, int size)
    {
        var b = new byte[size];
        b[0] = type;
        return b;
    }

    [Theory]
    [InlineData(1, 148, PacketKind.HandshakeInitiation)]
    [InlineData(2, 92, PacketKind.HandshakeResponse)]
    [InlineData(3, 64, PacketKind.CookieReply)]
    [InlineData(4, 32, PacketKind.TransportData)]
    [InlineData(4, 1452, PacketKind.TransportData)] // full packet at MTU 1420: not a multiple of 16
    [InlineData(4, 33, PacketKind.TransportData)]
    [InlineData(1, 147, PacketKind.Invalid)]
    [InlineData(1, 149, PacketKind.Invalid)]
    [InlineData(2, 148, PacketKind.Invalid)]
    [InlineData(3, 92, PacketKind.Invalid)]
    [InlineData(4, 31, PacketKind.Invalid)]
    [InlineData(5, 64, PacketKind.Invalid)]
    [InlineData(0, 64, PacketKind.Invalid)]
    public void Classify_TypeAndSize_Expected(byte type, int size, PacketKind expected)
    {
        Assert.Equal(expected, WireGuardClassifier.Classify(Message(type, size)));
    }

    [Fact]
    public void Classify_ReservedBytesNotZero_Invalid()
    {
        var m = Message(4, 64);
        m[2] = 1;
        Assert.Equal(PacketKind.Invalid, WireGuardClassifier.Classify(m));
    }

    [Fact]
    public void HasValidMac1_NoServerKey_AlwaysTrue()
    {
        Assert.True(new WireGuardClassifier(ReadOnlySpan<byte>.Empty).HasValidMac1(Message(1, 148)));
        Assert.True(new WireGuardClassifier(Array.Empty<byte[]>()).HasValidMac1(Message(1, 148)));
    }

    [Fact]
    public void HasValidMac1_ComputedForServer_TrueAndFalseForOtherKey()
    {
        var server = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var msg = Initiation(server);
        Assert.True(new WireGuardClassifier(server).HasValidMac1(msg));
        Assert.False(new WireGuardClassifier(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).HasValidMac1(msg));
        msg[10] ^= 1;
        Assert.False(new WireGuardClassifier(server).HasValidMac1(msg));
    }

    [Fact]
    public void HasValidMac1_TwoServerKeysDuringRotation_EitherAcceptedOthersRefused()
    {
        var oldKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var newKey = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var both = new WireGuardClassifier([oldKey, newKey]);
        Assert.True(both.HasValidMac1(Initiation(oldKey)));
        Assert.True(both.HasValidMac1(Initiation(newKey)));
        Assert.False(both.HasValidMac1(Initiation(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))));
        Assert.False(new WireGuardClassifier(newKey).HasValidMac1(Initiation(oldKey)));
    }

    private static byte[] Initiation(byte[] serverKey)
    {
        var msg = System.Security.Cryptography.RandomNumberGenerator.GetBytes(148);
        msg[0] = 1; msg[1] = msg[2] = msg[3] = 0;
        Span<byte> keyInput = stackalloc byte[40];
        "mac1----"u8.CopyTo(keyInput);
        serverKey.CopyTo(keyInput[8..]);
        var mac1Key = new byte[32];
        Blake2s.Hash([], keyInput, mac1Key);
        Blake2s.Hash(mac1Key, msg.AsSpan(0, 116), msg.AsSpan(116, 16));
        return msg;
    }
}
