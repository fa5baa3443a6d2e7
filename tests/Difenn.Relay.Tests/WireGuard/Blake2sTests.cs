using Difenn.Relay.WireGuard;
using Org.BouncyCastle.Crypto.Digests;

namespace Difenn.Relay.Tests.WireGuard;

public class Blake2sTests
{
    [Fact]
    public void Hash_Rfc7693Abc_MatchesVector()
    {
        var output = new byte[32];
        Blake2s.Hash([], "abc"u8, output);
        Assert.Equal("508C5E8C327C14E2E1A72BA34EEB452F37458B209ED63A294D999B4C86675982", Convert.ToHexString(output));
    }

    [Theory]
    [InlineData(0, 0, 32)]
    [InlineData(0, 63, 32)]
    [InlineData(0, 64, 32)]
    [InlineData(0, 65, 32)]
    [InlineData(32, 0, 16)]
    [InlineData(32, 116, 16)]
    [InlineData(32, 128, 16)]
    [InlineData(16, 200, 32)]
    public void Hash_RandomInputs_MatchesBouncyCastle(int keyLength, int dataLength, int outLength)
    {
        for (var round = 0; round < 20; round++)
        {
            var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(keyLength);
            var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(dataLength);
            var expected = new byte[outLength];
            var digest = keyLength == 0 ? new Blake2sDigest(outLength * 8) : new Blake2sDigest(key, outLength, null, null);
            digest.BlockUpdate(data, 0, data.Length);
            digest.DoFinal(expected, 0);
            var actual = new byte[outLength];
            Blake2s.Hash(key, data, actual);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
        }
    }
}
