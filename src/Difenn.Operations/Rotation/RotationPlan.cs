using Difenn.Topology.Model;
using Difenn.WireGuard.Keys;

namespace Difenn.Operations.Rotation;

/// <summary>What to rotate.</summary>
public enum RotationTarget
{
    /// <summary>The server's key pair: every peer must learn the new server public key.</summary>
    ServerKey,

    /// <summary>A managed (OpenWrt) peer's key pair.</summary>
    PeerKey,

    /// <summary>A peer's preshared key (added when it has none yet).</summary>
    PresharedKey,
}

/// <summary>
/// A rotation worked out before anything is touched: the stack as it will be, the one secret that changes, the
/// public-key edit of the stack file, and the routers to change first. Holds the new secret: never printed.
/// </summary>
/// <param name="Target">What is rotated.</param>
/// <param name="Before">The stack as it is.</param>
/// <param name="After">The stack with the new public key.</param>
/// <param name="SecretName">The secret that gets a new value.</param>
/// <param name="NewSecret">Its new value (secret).</param>
/// <param name="OldPublicKey">The public key being replaced (null for a preshared key).</param>
/// <param name="NewPublicKey">The new public key (null for a preshared key).</param>
/// <param name="Routers">The OpenWrt peers changed first, through the tunnel, each under its rollback timer.</param>
/// <param name="UnmanagedPeers">Peers that must be told the new server key by hand.</param>
public sealed record RotationPlan(
    RotationTarget Target, Stack Before, Stack After, string SecretName, string NewSecret,
    string? OldPublicKey, string? NewPublicKey, IReadOnlyList<PeerSpec> Routers, IReadOnlyList<PeerSpec> UnmanagedPeers)
{
    /// <summary>Text shown for the plan (no secret).</summary>
    public override string ToString() => $"{Target} {SecretName}";

    /// <summary>Works out the rotation of <paramref name="target"/> (and <paramref name="peerName"/> for peer keys and preshared keys).</summary>
    /// <exception cref="ArgumentException">The request does not fit the stack; the message says what to do.</exception>
    public static RotationPlan Create(Stack stack, RotationTarget target, string? peerName)
    {
        var routers = stack.Peers.Where(p => p.OpenWrt is not null).ToList();
        switch (target)
        {
            case RotationTarget.ServerKey:
            {
                var key = WireGuardPrivateKey.Generate();
                // The old public key stays accepted by the relay's MAC1 gate, so the relay restarts once (see ServerSpec).
                var after = stack with { Server = stack.Server with { PublicKey = key.PublicKey, PreviousPublicKeys = [stack.Server.PublicKey] } };
                return new(target, stack, after, stack.Server.PrivateKey.Name, key.RevealBase64(), stack.Server.PublicKey.ToBase64(), key.PublicKey.ToBase64(),
                    routers, stack.Peers.Where(p => p.OpenWrt is null).ToList());
            }
            case RotationTarget.PeerKey:
            {
                var peer = FindPeer(stack, peerName);
                if (peer.OpenWrt is null || peer.PrivateKey is null)
                    throw new ArgumentException($"peer '{peer.Name}' is not managed by difenn (no openwrt: section): generate its key on the device itself and put the new public key in {stack.SourceFile}");
                var key = WireGuardPrivateKey.Generate();
                var after = stack with { Peers = stack.Peers.Select(p => p == peer ? p with { PublicKey = key.PublicKey } : p).ToList() };
                return new(target, stack, after, peer.PrivateKey.Name, key.RevealBase64(), peer.PublicKey.ToBase64(), key.PublicKey.ToBase64(),
                    [after.Peers.Single(p => p.Name == peer.Name)], []);
            }
            default:
            {
                var peer = FindPeer(stack, peerName);
                if (peer.PresharedKey is null)
                    throw new ArgumentException($"peer '{peer.Name}' names no preshared key: add 'presharedKey: {peer.Name}PresharedKey' under peers[{stack.Peers.ToList().IndexOf(peer)}].secrets in {stack.SourceFile}, then run again");
                if (peer.OpenWrt is null)
                    throw new ArgumentException($"peer '{peer.Name}' is not managed by difenn (no openwrt: section): its preshared key must be set on the device by hand");
                return new(target, stack, stack, peer.PresharedKey.Name, WireGuardPresharedKey.Generate().RevealBase64(), null, null, [peer], []);
            }
        }
    }

    private static PeerSpec FindPeer(Stack stack, string? name) =>
        stack.Peers.FirstOrDefault(p => p.Name == name)
        ?? throw new ArgumentException(name is null ? "name the peer: --peer NAME" : $"no peer '{name}' in {stack.SourceFile} (peers: {string.Join(", ", stack.Peers.Select(p => p.Name))})");
}
