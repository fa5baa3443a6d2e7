using Difenn.Testing.Processes;
using Difenn.WireGuard.Keys;

namespace Difenn.WireGuard.Tests.Keys;

/// <summary>Our keys against the real <c>wg</c> tool (Debian wireguard-tools).</summary>
public class WgToolInteropTests
{
    private const int Rounds = 64;

    [Fact]
    public async Task PublicKey_KeysFromWgGenkey_EqualsWgPubkey()
    {
        for (var i = 0; i < Rounds; i++)
        {
            var priv = (await ProcessRunner.OutputAsync("wg", "genkey")).Trim();
            var expected = (await ProcessRunner.RunAsync("wg", ["pubkey"], stdin: priv + "\n")).EnsureSuccess("wg pubkey").StdOut.Trim();
            Assert.Equal(expected, WireGuardPrivateKey.Parse(priv).PublicKey.ToBase64());
        }
    }

    [Fact]
    public async Task PublicKey_KeysWeGenerate_EqualsWgPubkey()
    {
        for (var i = 0; i < Rounds; i++)
        {
            var key = WireGuardPrivateKey.Generate();
            var expected = (await ProcessRunner.RunAsync("wg", ["pubkey"], stdin: key.RevealBase64() + "\n")).EnsureSuccess("wg pubkey").StdOut.Trim();
            Assert.Equal(expected, key.PublicKey.ToBase64());
        }
    }

    [Fact]
    public async Task PublicKey_UnclampedBytes_EqualsWgPubkey()
    {
        // wg pubkey clamps before multiplying; so must we, for keys that other tools did not clamp.
        for (var i = 0; i < 16; i++)
        {
            var raw = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            raw[0] |= 7;
            raw[31] |= 128;
            var text = Convert.ToBase64String(raw);
            var expected = (await ProcessRunner.RunAsync("wg", ["pubkey"], stdin: text + "\n")).EnsureSuccess("wg pubkey").StdOut.Trim();
            Assert.Equal(expected, WireGuardPrivateKey.Parse(text).PublicKey.ToBase64());
        }
    }

    [Fact]
    public async Task Genpsk_WgOutput_ParsesAsPresharedKey()
    {
        var psk = (await ProcessRunner.OutputAsync("wg", "genpsk")).Trim();
        Assert.Equal(psk, WireGuardPresharedKey.Parse(psk).RevealBase64());
    }
}
