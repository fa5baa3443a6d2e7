using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Validation;

namespace Difenn.WireGuard.Tests.Config;

public class WgQuickValidationTests
{
    private static readonly string Priv = WireGuardPrivateKey.Generate().RevealBase64();
    private static readonly string PubA = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
    private static readonly string PubB = WireGuardPrivateKey.Generate().PublicKey.ToBase64();

    private static string Iface(string extra = "") => $"[Interface]\nPrivateKey = {Priv}\nAddress = 10.200.0.1/24\nListenPort = 51820\n{extra}";

    private static Diagnostic Single(string text, DiagnosticSeverity severity = DiagnosticSeverity.Error)
    {
        var result = WgQuickParser.Parse(text, "wg0.conf");
        return Assert.Single(result.Diagnostics, d => d.Severity == severity);
    }

    [Fact]
    public void Parse_ShortPublicKey_ErrorWithLineAndField()
    {
        var d = Single(Iface() + "[Peer]\nPublicKey = abc\n");
        Assert.Equal(6, d.Line);
        Assert.Equal("Peer.PublicKey", d.Field);
        Assert.StartsWith("wg0.conf:6:1: error: Peer.PublicKey:", d.ToString());
    }

    [Fact]
    public void Parse_MalformedPrivateKey_ErrorNeverEchoesValue()
    {
        var bad = Priv[..40] + "!!!=";
        var result = WgQuickParser.Parse($"[Interface]\nPrivateKey = {bad}\n", "wg0.conf");
        var d = Assert.Single(result.Diagnostics, x => x.Field == "Interface.PrivateKey" && x.Line == 2);
        Assert.DoesNotContain(bad, d.ToString());
        Assert.Null(result.Config);
    }

    [Theory]
    [InlineData("ListenPort = 0")]
    [InlineData("ListenPort = 65536")]
    [InlineData("ListenPort = http")]
    public void Parse_BadListenPort_Error(string line)
    {
        var d = Single($"[Interface]\nPrivateKey = {Priv}\n{line}\n");
        Assert.Equal("Interface.ListenPort", d.Field);
        Assert.Equal(3, d.Line);
    }

    [Theory]
    [InlineData("10.200.0.300/32")]
    [InlineData("10.200.0.2/33")]
    [InlineData("ten.two/24")]
    public void Parse_BadCidr_Error(string cidr)
    {
        var d = Single(Iface() + $"[Peer]\nPublicKey = {PubA}\nAllowedIPs = {cidr}\n");
        Assert.Equal("Peer.AllowedIPs", d.Field);
        Assert.Equal(7, d.Line);
    }

    [Theory]
    [InlineData("PersistentKeepalive = 65536")]
    [InlineData("PersistentKeepalive = -1")]
    public void Parse_KeepaliveOutOfRange_Error(string line)
    {
        Assert.Equal("Peer.PersistentKeepalive", Single(Iface() + $"[Peer]\nPublicKey = {PubA}\n{line}\n").Field);
    }

    [Fact]
    public void Parse_EndpointWithoutPort_Error()
    {
        var d = Single(Iface() + $"[Peer]\nPublicKey = {PubA}\nEndpoint = wg.trevarn.com\n");
        Assert.Equal("Peer.Endpoint", d.Field);
        Assert.Contains("no port", d.Message);
    }

    [Fact]
    public void Parse_DuplicateAllowedIps_ErrorPointsAtSecondPeer()
    {
        var d = Single(Iface() + $"[Peer]\nPublicKey = {PubA}\nAllowedIPs = 10.200.0.2/32\n[Peer]\nPublicKey = {PubB}\nAllowedIPs = 10.200.0.2/32\n");
        Assert.Equal("Peer.AllowedIPs", d.Field);
        Assert.Equal(10, d.Line);
        Assert.Contains("line 7", d.Message);
    }

    [Fact]
    public void Parse_SamePublicKeyTwice_Error()
    {
        var d = Single(Iface() + $"[Peer]\nPublicKey = {PubA}\nAllowedIPs = 10.200.0.2/32\n[Peer]\nPublicKey = {PubA}\nAllowedIPs = 10.200.0.3/32\n");
        Assert.Equal("Peer.PublicKey", d.Field);
        Assert.Equal(9, d.Line);
    }

    [Fact]
    public void Parse_AllowedIpsOutsideSubnet_WarningOnly()
    {
        var result = WgQuickParser.Parse(Iface() + $"[Peer]\nPublicKey = {PubA}\nAllowedIPs = 192.168.5.0/24\n", "wg0.conf");
        Assert.True(result.Success);
        var d = Assert.Single(result.Diagnostics);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("outside", d.Message);
    }

    [Fact]
    public void Parse_UnknownKey_ErrorListsKnownKeys()
    {
        var d = Single(Iface("ListenPortt = 1\n"));
        Assert.Equal("Interface.ListenPortt", d.Field);
        Assert.Contains("ListenPort", d.Message);
    }

    [Fact]
    public void Parse_UnknownSection_Error()
    {
        Assert.Equal("[Peers]", Single(Iface() + "[Peers]\n").Field);
    }

    [Fact]
    public void Parse_ManyProblems_AllReportedInLineOrder()
    {
        var result = WgQuickParser.Parse($"[Interface]\nPrivateKey = x\nListenPort = 0\n[Peer]\nPublicKey = y\nEndpoint = host\n", "wg0.conf");
        Assert.Equal([2, 3, 5, 6], result.Diagnostics.Select(d => d.Line));
    }

    [Fact]
    public void Parse_NoInterface_Error()
    {
        Assert.Equal("[Interface]", Single($"[Peer]\nPublicKey = {PubA}\n").Field);
    }
}
