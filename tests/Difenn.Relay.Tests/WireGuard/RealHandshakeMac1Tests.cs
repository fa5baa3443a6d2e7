using System.Net;
using System.Net.Sockets;
using Difenn.Relay.WireGuard;
using Difenn.Testing.Network;
using Difenn.Testing.WireGuard;
using Difenn.WireGuard.Keys;

namespace Difenn.Relay.Tests.WireGuard;

/// <summary>MAC1 checked on a handshake initiation captured from a real wireguard-go.</summary>
public class RealHandshakeMac1Tests
{
    [Fact]
    public async Task HasValidMac1_InitiationFromWireGuardGo_ValidForItsPeerOnly()
    {
        await using var ns = await NetworkNamespace.CreateAsync("mac1");
        var wg = await WireGuardGoInterface.StartAsync(ns);
        var serverKey = WireGuardPrivateKey.Generate();
        // Capture on a UDP port inside the namespace: wireguard-go sends its initiation there.
        var capture = ns.RunAsync("timeout", ["10", "socat", "-u", "UDP-RECV:51999", "SYSTEM:head -c 148 | od -An -v -tx1"], timeout: TimeSpan.FromSeconds(15));
        await Task.Delay(300);
        await wg.SetConfAsync($"[Interface]\nPrivateKey = {WireGuardPrivateKey.Generate().RevealBase64()}\n\n[Peer]\nPublicKey = {serverKey.PublicKey}\nAllowedIPs = 10.77.0.0/24\nEndpoint = 127.0.0.1:51999\nPersistentKeepalive = 1\n");
        await wg.UpAsync("10.77.0.2/24");
        var result = await capture;
        var hex = string.Concat(result.StdOut.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var initiation = Convert.FromHexString(hex);
        Assert.Equal(148, initiation.Length);
        Assert.Equal(PacketKind.HandshakeInitiation, WireGuardClassifier.Classify(initiation));
        Assert.True(new WireGuardClassifier(serverKey.PublicKey.Bytes).HasValidMac1(initiation));
        Assert.False(new WireGuardClassifier(WireGuardPrivateKey.Generate().PublicKey.Bytes).HasValidMac1(initiation));
    }
}
