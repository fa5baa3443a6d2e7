using Difenn.Topology.Model;

namespace Difenn.Operations.Peers;

/// <summary>
/// Removes a peer's entry from the stack file (its lines only; comments and layout elsewhere stay), validated by
/// the stack loader before the file is replaced. The server forgets the peer at the next <c>pulumi up</c>.
/// </summary>
public static class PeerRemoval
{
    /// <summary>Removes <paramref name="name"/>; returns the removed peer as it was declared.</summary>
    public static PeerSpec Remove(string stackPath, string name)
    {
        var text = File.ReadAllText(stackPath);
        var stack = PeerAddition.Load(text, stackPath, "the stack file");
        var peer = stack.Peers.SingleOrDefault(p => p.Name == name)
            ?? throw new PeerEditException($"{stackPath}: no peer named '{name}' (peers: {string.Join(", ", stack.Peers.Select(p => p.Name))})");
        var edited = StackPeerText.RemovePeer(text, name)
            ?? throw new PeerEditException($"{stackPath}: peer '{name}' is not written as a block list entry ('- name: {name}'); remove it by hand");
        var after = PeerAddition.Load(edited, stackPath, "the stack without the peer");
        if (after.Peers.Any(p => p.Name == name) || after.Peers.Count != stack.Peers.Count - 1)
            throw new PeerEditException($"{stackPath}: removing '{name}' as text did not remove exactly that peer; remove it by hand");
        StackFileWrite.Replace(stackPath, text, edited);
        return peer;
    }
}
