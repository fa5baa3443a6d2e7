using System.Text.Json;
using Difenn.WireGuard.Keys;

namespace Difenn.WireGuard.Tests.Keys;

public class KeyTests
{
    // RFC 7748 §6.1 (X25519 Diffie-Hellman test vectors): private scalars and their public keys.
    [Theory]
    [InlineData("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")]
    [InlineData("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")]
    public void PublicKey_Rfc7748Vectors_MatchExpected(string privateHex, string publicHex)
    {
        var key = WireGuardPrivateKey.FromBytes(Convert.FromHexString(privateHex));
        Assert.Equal(publicHex, Convert.ToHexString(key.PublicKey.Bytes).ToLowerInvariant());
    }

    [Fact]
    public void Generate_Always_ClampsAsX25519()
    {
        for (var i = 0; i < 100; i++)
        {
            var bytes = Convert.FromBase64String(WireGuardPrivateKey.Generate().RevealBase64());
            Assert.Equal(0, bytes[0] & 7);
            Assert.Equal(0, bytes[31] & 128);
            Assert.Equal(64, bytes[31] & 64);
        }
    }

    [Fact]
    public void Generate_TwoKeys_Differ()
    {
        Assert.NotEqual(WireGuardPrivateKey.Generate(), WireGuardPrivateKey.Generate());
    }

    [Fact]
    public void ToString_PrivateAndPreshared_NeverShowSecret()
    {
        var key = WireGuardPrivateKey.Generate();
        var psk = WireGuardPresharedKey.Generate();
        Assert.Equal("[private key]", key.ToString());
        Assert.Equal("[preshared key]", psk.ToString());
        Assert.DoesNotContain(key.RevealBase64(), $"{key} {key.PublicKey}");
        Assert.DoesNotContain(psk.RevealBase64(), $"{psk}");
    }

    [Fact]
    public void JsonSerialize_SecretKeys_Redacted()
    {
        var key = WireGuardPrivateKey.Generate();
        var psk = WireGuardPresharedKey.Generate();
        var json = JsonSerializer.Serialize(new { key, psk });
        Assert.DoesNotContain(key.RevealBase64(), json);
        Assert.DoesNotContain(psk.RevealBase64(), json);
        Assert.Contains("[private key]", json);
    }

    [Fact]
    public void JsonDeserialize_PrivateKey_Refused()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<WireGuardPrivateKey>("\"x\""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 43 chars
    public void Parse_Malformed_ThrowsWithoutEchoingInput(string text)
    {
        var ex = Assert.Throws<FormatException>(() => WireGuardPrivateKey.Parse(text));
        if (text.Length > 0) Assert.DoesNotContain(text, ex.Message);
    }

    [Fact]
    public void Parse_ThirtyThreeBytes_Rejected()
    {
        var text = Convert.ToBase64String(new byte[33]);
        Assert.False(WireGuardPublicKey.TryParse(text, out _, out var error));
        Assert.Contains("32 bytes", error);
    }

    [Fact]
    public void Equals_SameBytes_EqualAndSameHash()
    {
        var a = WireGuardPrivateKey.Generate();
        var b = WireGuardPrivateKey.Parse(a.RevealBase64());
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a.PublicKey == b.PublicKey);
    }

    [Fact]
    public void Preshared_RoundTrip_Equal()
    {
        var psk = WireGuardPresharedKey.Generate();
        Assert.Equal(psk, WireGuardPresharedKey.Parse(psk.RevealBase64()));
    }
}
