using Difenn.WireGuard.Config;

namespace Difenn.WireGuard.Tests.Config;

public class WgQuickRoundTripTests
{
    [Fact]
    public void WriteThenParse_EveryKey_SameMeaning()
    {
        var config = ConfigFixtures.Everything();
        var text = WgQuickWriter.Write(config);
        var result = WgQuickParser.Parse(text, "wg0.conf");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(text, WgQuickWriter.Write(result.Config!));
        var i = result.Config!.Interface;
        Assert.Equal(config.Interface.PrivateKey, i.PrivateKey);
        Assert.Equal(["true post-up 1", "true post-up 2"], i.PostUp);
        Assert.Equal(1420, i.Mtu);
        Assert.Equal("XE300", result.Config.Peers[0].Comment);
        Assert.Equal(config.Peers[0].PresharedKey, result.Config.Peers[0].PresharedKey);
        Assert.Equal("[fd00::7]:51820", result.Config.Peers[1].Endpoint!.ToString());
    }

    [Fact]
    public void Parse_HandWrittenFile_CaseInsensitiveKeysListsAndComments()
    {
        var key = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate();
        var peer = Difenn.WireGuard.Keys.WireGuardPrivateKey.Generate().PublicKey;
        var text = $"# the server\n[interface]\nprivatekey = {key.RevealBase64()} # trailing comment\naddress = 10.200.0.1/24,fd00::1/64\nListenPort=51820\n\n[Peer]\n# phone\nPublicKey = {peer}\nAllowedIPs = 10.200.0.5/32, 10.200.0.6/32\nPersistentKeepalive = off\n";
        var result = WgQuickParser.Parse(text, "x.conf");
        Assert.True(result.Success, string.Join("\n", result.Diagnostics));
        Assert.Equal(2, result.Config!.Interface.Addresses.Count);
        Assert.Equal("phone", result.Config.Peers[0].Comment);
        Assert.Equal(2, result.Config.Peers[0].AllowedIPs.Count);
        Assert.Equal(0, result.Config.Peers[0].PersistentKeepalive);
    }

    [Fact]
    public void WriteStripped_RemovesWgQuickOnlyKeys()
    {
        var stripped = WgQuickWriter.WriteStripped(ConfigFixtures.Everything());
        foreach (var k in WgQuickKeys.WgQuickOnly)
            Assert.DoesNotContain(k + " =", stripped);
        Assert.Contains("ListenPort = 51820", stripped);
        Assert.Contains("FwMark = 0x1234", stripped);
    }
}
