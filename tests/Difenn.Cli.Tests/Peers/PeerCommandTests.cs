using System.Text.Json;
using Difenn.Cli.Peers;
using Difenn.Cli.Tests.Infrastructure;
using Difenn.Topology.Loading;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Keys;

namespace Difenn.Cli.Tests.Peers;

/// <summary>`difenn peer add|remove|show` on a copy of the prod stack, with a secrets directory; no host is contacted.</summary>
public sealed class PeerCommandTests : IDisposable
{
    private readonly string _dir = CliRunner.TempDir();
    private readonly string _stack;
    private readonly string _secrets;
    private readonly string _original = File.ReadAllText(Testing.RepoFiles.ProdStackPath);

    public PeerCommandTests()
    {
        _stack = Path.Combine(_dir, "prod.yaml");
        _secrets = Directory.CreateDirectory(Path.Combine(_dir, "secrets")).FullName;
        File.WriteAllText(_stack, _original);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private CliRunner.Result Peer(params string[] args) => CliRunner.Run(["peer", .. args, "--stack-file", _stack, "--secrets-dir", _secrets]);

    private string SecretOf(string name) => File.ReadAllText(Path.Combine(_secrets, name)).Trim();

    [Fact]
    public void Add_Phone_NextFreeAddressKeyInStoreStackEditedConfigIn0600File()
    {
        var conf = Path.Combine(_dir, "phone.conf");
        var r = Peer("add", "phone", "--out", conf);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("added peer phone (phone) 10.200.0.3", r.Out);

        var key = WireGuardPrivateKey.Parse(SecretOf("phonePrivateKey"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_secrets, "phonePrivateKey")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(conf));
        Assert.DoesNotContain(key.RevealBase64(), r.Out + r.Err);
        Assert.False(File.Exists(Path.Combine(_secrets, "phonePrivateKey.pending")));

        // The stack: every original line kept (comments too), the peer appended, and it loads.
        var text = File.ReadAllText(_stack);
        Assert.StartsWith(_original, text);
        var stack = StackLoader.Load(_stack).Stack!;
        var phone = stack.Peers.Single(p => p.Name == "phone");
        Assert.Equal(key.PublicKey, phone.PublicKey);
        Assert.Equal("phonePrivateKey", phone.PrivateKey!.Name);
        Assert.Equal(25, phone.Keepalive);
        Assert.Equal((51820, (int?)443), (phone.Endpoint.Port, phone.Endpoint.FallbackPort));

        // The device's config: its key, a /32, the server, the relay's primary port, keepalive.
        var config = WgQuickParser.Parse(File.ReadAllText(conf), conf);
        Assert.True(config.Success, string.Join("\n", config.Diagnostics));
        Assert.Equal(key, config.Config!.Interface.PrivateKey);
        Assert.Equal(["10.200.0.3/32"], config.Config.Interface.Addresses.Select(a => a.ToString()));
        var server = Assert.Single(config.Config.Peers);
        Assert.Equal(stack.Server.PublicKey, server.PublicKey);
        Assert.Equal("wg.trevarn.com:51820", server.Endpoint!.ToString());
        Assert.Equal(["10.200.0.0/24"], server.AllowedIPs.Select(a => a.ToString()));
        Assert.Equal(25, server.PersistentKeepalive);
    }

    [Fact]
    public void Add_StdoutAndQr_QrDecodesToExactlyThePrintedConfig()
    {
        var r = Peer("add", "phone", "--stdout", "--qr");
        Assert.Equal(0, r.ExitCode);
        var qrStart = r.Out.IndexOf('\u001b');
        Assert.True(qrStart > 0, r.Out);
        var config = r.Out[..qrStart];
        Assert.Contains($"PrivateKey = {SecretOf("phonePrivateKey")}", config);
        Assert.StartsWith("[Interface]\n", config);
        Assert.Contains("added peer phone", r.Err); // the summary moves to stderr: stdout is the config
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "phone.conf")));

        Assert.Equal(config, TerminalQrDecoder.Decode(r.Out[qrStart..]));
    }

    [Fact]
    public void TerminalQr_OtherText_DecodesBackAndCorruptionIsNoticed()
    {
        var text = "[Interface]\nAddress = 10.200.0.9/32\n" + new string('x', 300) + "\n";
        var qr = TerminalQr.Render(text);
        Assert.Equal(text, TerminalQrDecoder.Decode(qr));
        // A decoder that saw nothing would fail here: a blanked-out code must not decode.
        Assert.Null(TerminalQrDecoder.Decode(qr.Replace('█', ' ').Replace('▀', ' ').Replace('▄', ' ')));
    }

    [Fact]
    public void Add_ExplicitAddress_Used()
    {
        var r = Peer("add", "alice-laptop", "--kind", "laptop", "--address", "10.200.0.20", "--keepalive", "0", "--out", Path.Combine(_dir, "l.conf"));
        Assert.Equal(0, r.ExitCode);
        var peer = StackLoader.Load(_stack).Stack!.Peers.Single(p => p.Name == "alice-laptop");
        Assert.Equal("10.200.0.20", peer.Address.ToString());
        Assert.Equal(0, peer.Keepalive);
        Assert.Equal("aliceLaptopPrivateKey", peer.PrivateKey!.Name);
        Assert.DoesNotContain("PersistentKeepalive", File.ReadAllText(Path.Combine(_dir, "l.conf")));
    }

    [Theory]
    [InlineData("10.200.0.1", "--address 10.200.0.1: 10.200.0.1 is already used by the server")]
    [InlineData("10.200.0.2", "--address 10.200.0.2: 10.200.0.2 is already used by peers[0]")]
    [InlineData("10.201.0.5", "--address 10.201.0.5: 10.201.0.5 is outside the VPN subnet 10.200.0.0/24")]
    [InlineData("10.200.0.255", "--address 10.200.0.255: 10.200.0.255 is the subnet's network or broadcast address")]
    public void Add_BadAddress_RefusedNothingWrittenNoKeyStored(string address, string message)
    {
        var r = Peer("add", "phone", "--address", address, "--out", Path.Combine(_dir, "p.conf"));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"difenn: {message}\n", r.Err);
        Assert.Equal(_original, File.ReadAllText(_stack));
        Assert.Empty(Directory.GetFiles(_secrets));
        Assert.False(File.Exists(Path.Combine(_dir, "p.conf")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void Add_ExistingNameOrSecret_Refused()
    {
        var taken = Peer("add", "xe300", "--stdout");
        Assert.Equal(1, taken.ExitCode);
        Assert.Contains("a peer named 'xe300' already exists", taken.Err);
        File.WriteAllText(Path.Combine(_secrets, "phonePrivateKey"), "left over\n");
        File.SetUnixFileMode(Path.Combine(_secrets, "phonePrivateKey"), (UnixFileMode)0b110_100_100);
        var loose = Peer("add", "phone", "--stdout");
        Assert.Equal(1, loose.ExitCode);
        Assert.Equal("difenn: " + Path.Combine(_secrets, "phonePrivateKey") + " is readable or writable by others (mode 644); chmod 600 it\n", loose.Err);
        File.SetUnixFileMode(Path.Combine(_secrets, "phonePrivateKey"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var stale = Peer("add", "phone", "--stdout");
        Assert.Equal(1, stale.ExitCode);
        Assert.Contains("already hold a secret named phonePrivateKey", stale.Err);
        Assert.Equal(_original, File.ReadAllText(_stack));
        Assert.Equal("", taken.Out + stale.Out);
    }

    [Theory]
    [InlineData("add", "phone", "--json", "--stdout")]
    [InlineData("add", "phone", "--json", "--qr")]
    [InlineData("add", "phone", "--out", "x.conf", "--stdout")]
    [InlineData("add", "Phone!", "--stdout")]
    [InlineData("add", "phone", "--address", "nope")]
    [InlineData("add", "router", "--kind", "openwrt", "--qr")]
    public void Add_UsageErrors_Exit2OrRefusedWithoutTouchingTheStack(params string[] args)
    {
        var r = Peer(args);
        Assert.True(r.ExitCode is 1 or 2, r.Err);
        Assert.StartsWith("difenn: ", r.Err);
        Assert.Equal(_original, File.ReadAllText(_stack));
    }

    [Fact]
    public void Add_NoSecretStore_UsageError()
    {
        var r = CliRunner.Run("peer", "add", "phone", "--stack-file", _stack, "--stdout");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--secrets-dir DIR or --pulumi-stack NAME", r.Err);
    }

    [Fact]
    public void Add_Json_SummaryWithoutAnySecret()
    {
        var r = Peer("add", "phone", "--json", "--out", Path.Combine(_dir, "p.conf"));
        Assert.Equal(0, r.ExitCode);
        var doc = JsonDocument.Parse(r.Out).RootElement;
        Assert.Equal("10.200.0.3", doc.GetProperty("address").GetString());
        Assert.Equal("phone", doc.GetProperty("kind").GetString());
        Assert.Equal(Path.Combine(_dir, "p.conf"), doc.GetProperty("configFile").GetString());
        Assert.DoesNotContain(SecretOf("phonePrivateKey"), r.Out);
    }

    [Fact]
    public void Add_OpenWrt_ManagedPeerAndItsUciScript()
    {
        var script = Path.Combine(_dir, "r2.sh");
        var r = Peer("add", "router2", "--kind", "openwrt", "--out", script);
        Assert.Equal(0, r.ExitCode);
        var peer = StackLoader.Load(_stack).Stack!.Peers.Single(p => p.Name == "router2");
        Assert.Equal("wg_difenn", peer.OpenWrt!.Interface);
        Assert.Equal("10.200.0.3", peer.OpenWrt.Ssh.Host);
        var text = File.ReadAllText(script);
        // The router's apply script works on a private copy of /etc/config/network, then puts it in place.
        Assert.Contains($"set {Difenn.Topology.Desired.OpenWrtRenderer.PrivatePackage}.wg_difenn.private_key='{SecretOf("router2PrivateKey")}'", text);
        Assert.Contains("install_private", text);
    }

    [Fact]
    public void ShowThenRemove_StackBackToTheOriginal()
    {
        Assert.Equal(0, Peer("add", "phone", "--out", Path.Combine(_dir, "p.conf")).ExitCode);
        var list = Peer("show");
        Assert.Equal(0, list.ExitCode);
        Assert.Matches(@"phone\s+client\s+10\.200\.0\.3\s+wg\.trevarn\.com:51820 \(or 443\)\s+25s", list.Out);
        Assert.Matches(@"xe300\s+openwrt\s+10\.200\.0\.2", list.Out);

        // The config again, from the store, identical to the one written at add.
        var again = Peer("show", "phone", "--stdout");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "p.conf")), again.Out);
        var json = Peer("show", "phone", "--json");
        Assert.Equal("phonePrivateKey", JsonDocument.Parse(json.Out).RootElement.GetProperty("privateKeySecret").GetString());

        var removed = Peer("remove", "phone");
        Assert.Equal(0, removed.ExitCode);
        Assert.Contains("removed peer phone (10.200.0.3)", removed.Out);
        Assert.Equal(_original, File.ReadAllText(_stack));
        Assert.Equal(1, Peer("remove", "phone").ExitCode);
        Assert.Equal(1, Peer("show", "phone").ExitCode);
    }

    [Fact]
    public void Show_PeerWithoutStoredKey_ClearErrorNoTrace()
    {
        var r = CliRunner.Run("peer", "show", "xe300", "--stdout", "--stack-file", _stack, "--secrets-dir", _secrets);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("xe300PrivateKey", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }
}
