using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Config;
using Difenn.WireGuard.Net;

namespace Difenn.Topology.Desired;

/// <summary>
/// The wg-quick config of a device the project does not reach (a phone or laptop): what its WireGuard app imports,
/// from a file or a QR code. Its private key stays a secret marker until revealed with the peer's secret.
/// </summary>
public static class ClientConfigRenderer
{
    /// <summary>
    /// <c>[Interface]</c> with the peer's private key and its address as a /32 (/128) (the routes come from
    /// AllowedIPs); <c>[Peer]</c> the server: public key, preshared key if any, the peer's AllowedIPs (default the VPN
    /// subnet), the primary relay endpoint and the peer's keepalive.
    /// </summary>
    /// <exception cref="ArgumentException">The peer has no <c>secrets.privateKey</c>, so its config cannot be rendered.</exception>
    public static SecretText Render(Stack stack, PeerSpec peer)
    {
        if (peer.PrivateKey is null)
            throw new ArgumentException($"peer '{peer.Name}' has no secrets.privateKey in the stack, so its config cannot be rendered here (its key lives only on the device)");
        var hostBits = peer.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
        return SecretRendering.Render((priv, psk) => WgQuickWriter.Write(new WgQuickConfig(
            new InterfaceSection { PrivateKey = priv(peer.PrivateKey.Name), Addresses = [new IpPrefix(peer.Address, hostBits)] },
            [new PeerSection
            {
                PublicKey = stack.Server.PublicKey,
                PresharedKey = peer.PresharedKey is null ? null : psk(peer.PresharedKey.Name),
                AllowedIPs = peer.AllowedIPs,
                Endpoint = new Endpoint(peer.Endpoint.Host, peer.Endpoint.Port),
                PersistentKeepalive = peer.Keepalive > 0 ? peer.Keepalive : null,
            }])));
    }
}
