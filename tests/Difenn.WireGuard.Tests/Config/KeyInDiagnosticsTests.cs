using System.Text.Json;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Validation;

namespace Difenn.WireGuard.Tests.Config;

/// <summary>
/// A private key typed in the wrong place of a wg-quick file never comes back in a diagnostic: not in its text, its
/// field, or its JSON form (what <c>--json</c> and <c>drift.json</c> carry). Issue 12.
/// </summary>
public class KeyInDiagnosticsTests
{
    private static readonly string Valid = $"[Interface]\nPrivateKey = {WireGuardPrivateKey.Generate().RevealBase64()}\nAddress = 10.200.0.1/24\nListenPort = 51820\n\n[Peer]\nPublicKey = {WireGuardPrivateKey.Generate().PublicKey.ToBase64()}\nAllowedIPs = 10.200.0.2/32\nEndpoint = wg.example.com:51820\n";

    public static TheoryData<string> Placements => new()
    {
        "{key}\n",                      // alone on a line: it ends in '=', so it read as an unknown key name
        "{key} = 1\n",
        "Address = {key}\n",
        "Address = 10.200.0.1/24, {key}\n",
        "ListenPort = {key}\n",
        "MTU = {key}\n",
        "FwMark = {key}\n",
        "[{key}]\n",
        "[Peer]\nPublicKey = {pub}\nAllowedIPs = {key}\n",
        "[Peer]\nPublicKey = {pub}\nEndpoint = {key}\n",
        "[Peer]\nPublicKey = {pub}\nEndpoint = {key}:51820\n",
        "[Peer]\nPublicKey = {pub}\nPersistentKeepalive = {key}\n",
        "[Peer]\nPublicKey = {pub}\nPresharedKey = {key}x\n",
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public void Parse_KeyInTheWrongPlace_NoDiagnosticRepeatsAnyOfIt(string placement)
    {
        var key = WireGuardPrivateKey.Generate().RevealBase64();
        var text = Valid.Replace("ListenPort = 51820\n", "ListenPort = 51820\n" + placement
            .Replace("{key}", key).Replace("{pub}", WireGuardPrivateKey.Generate().PublicKey.ToBase64()));
        if (placement.StartsWith("[Peer]", StringComparison.Ordinal)) text = Valid + "\n" + placement.Replace("{key}", key).Replace("{pub}", WireGuardPrivateKey.Generate().PublicKey.ToBase64());

        var result = WgQuickParser.Parse(text, "wg0.conf");

        Assert.Contains(result.Diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        var shown = string.Join("\n", result.Diagnostics.Select(d => d.ToString())) + JsonSerializer.Serialize(result.Diagnostics);
        for (var i = 0; i + 12 <= key.Length; i++)
            Assert.DoesNotContain(key.Substring(i, 12), shown);
    }

    [Theory]
    [InlineData("peers[0].openwrt.ssh.host", "'10.200.0.2;id' is not allowed", "peers[0].openwrt.ssh.host", "'10.200.0.2;id' is not allowed")]
    [InlineData("Interface.PersistentKeepalive", "must be a number from 576 to 65535", "Interface.PersistentKeepalive", "must be a number from 576 to 65535")]
    [InlineData("Interface.x", "2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI= here", "Interface.x", KeyShapedText.Placeholder + " here")]
    public void Diagnostic_OrdinaryTextKept_KeyShapedRunsHidden(string field, string message, string expectedField, string expectedMessage)
    {
        var d = Diagnostic.Error("f", 1, 1, field, message);
        Assert.Equal((expectedField, expectedMessage), (d.Field, d.Message));
    }
}
