using Difenn.WireGuard.Dump;
using Difenn.WireGuard.Keys;

namespace Difenn.WireGuard.Tests.Dump;

public class WgDumpParserTests
{
    [Fact]
    public void Parse_NoneAndOff_MapToNull()
    {
        var priv = WireGuardPrivateKey.Generate();
        var peer = WireGuardPrivateKey.Generate().PublicKey;
        var dump = WgDumpParser.Parse($"{priv.RevealBase64()}\t{priv.PublicKey}\t51820\toff\n{peer}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n");
        Assert.Equal(priv, dump.Interface.PrivateKey);
        Assert.Null(dump.Interface.FwMark);
        var p = Assert.Single(dump.Peers);
        Assert.Null(p.PresharedKey);
        Assert.Null(p.Endpoint);
        Assert.Empty(p.AllowedIPs);
        Assert.Null(p.LatestHandshake);
        Assert.Null(p.PersistentKeepalive);
    }

    [Fact]
    public void Parse_ShowAllDump_InterfaceNameColumnAccepted()
    {
        var priv = WireGuardPrivateKey.Generate();
        var dump = WgDumpParser.Parse($"wg0\t{priv.RevealBase64()}\t{priv.PublicKey}\t51820\t0x10\n");
        Assert.Equal(16u, dump.Interface.FwMark);
    }

    [Fact]
    public void Parse_BadField_ErrorNamesLineAndFieldNotSecret()
    {
        var priv = WireGuardPrivateKey.Generate();
        var ex = Assert.Throws<FormatException>(() => WgDumpParser.Parse($"{priv.RevealBase64()}\t{priv.PublicKey}\tport\toff\n"));
        Assert.Contains("line 1: listen-port", ex.Message);
        Assert.DoesNotContain(priv.RevealBase64(), ex.Message);
    }

    [Fact]
    public void Parse_WrongFieldCount_Error()
    {
        Assert.Contains("8 tab-separated fields", Assert.Throws<FormatException>(() => WgDumpParser.Parse("(none)\t(none)\t0\toff\nabc\tdef\n")).Message);
    }
}
