using Difenn.Operations.Peers;
using Difenn.Topology.Loading;

namespace Difenn.Operations.Tests.Peers;

public class StackPeerTextTests
{
    private static readonly string[] Phone = ["name: phone", "address: 10.200.0.3", "publicKey: 7EZtjyl8Szs9JGtwiVB5xcP/LSgQSHiXIlfo7TsEShE=", "endpoint:", "  host: wg.trevarn.com"];

    private static string Prod() => File.ReadAllText(Testing.RepoFiles.ProdStackPath);

    [Fact]
    public void AddPeer_Prod_EveryOriginalLineKeptInOrderAndPeerAppendedAtTheEntriesIndentation()
    {
        var prod = Prod();
        var added = StackPeerText.AddPeer(prod, Phone);

        var before = prod.Split('\n');
        var after = added.Split('\n');
        Assert.Equal(before.Length + Phone.Length, after.Length);
        Assert.Equal(before[..^1], after[..(before.Length - 1)]); // the file up to its final newline, unchanged
        Assert.Equal("  - name: phone", after[before.Length - 1]);
        Assert.Equal("      host: wg.trevarn.com", after[before.Length + 3]);
        var stack = StackLoader.LoadFromString(added, "prod.yaml").Stack!;
        Assert.Equal(["xe300", "phone"], stack.Peers.Select(p => p.Name));
        Assert.Equal("10.200.0.3", stack.Peers[1].Address.ToString());
    }

    [Fact]
    public void AddThenRemove_Prod_ByteForByteTheOriginal()
    {
        var prod = Prod();
        Assert.Equal(prod, StackPeerText.RemovePeer(StackPeerText.AddPeer(prod, Phone), "phone"));
    }

    [Fact]
    public void AddPeer_PeersFollowedByAnotherKeyAndComments_InsertedBeforeTheTrailingCommentAndKey()
    {
        var text = "stack: t\npeers:\n    - name: a\n      publicKey: k\n\n# about what follows\nextra: 1\n";
        var added = StackPeerText.AddPeer(text, ["name: b", "keepalive: 25"]);
        Assert.Equal("stack: t\npeers:\n    - name: a\n      publicKey: k\n    - name: b\n      keepalive: 25\n\n# about what follows\nextra: 1\n", added);
    }

    [Fact]
    public void AddPeer_EmptyFlowListOrNoPeersKey_BlockListCreated()
    {
        Assert.Equal("stack: t\npeers:  # devices\n  - name: b\n", StackPeerText.AddPeer("stack: t\npeers: []  # devices\n", ["name: b"]));
        Assert.Equal("stack: t\n\npeers:\n  - name: b\n", StackPeerText.AddPeer("stack: t\n", ["name: b"]));
    }

    [Fact]
    public void AddPeer_FlowStylePeers_RefusedRatherThanGuessed()
    {
        Assert.Throws<InvalidOperationException>(() => StackPeerText.AddPeer("peers: [{name: a}]\n", ["name: b"]));
    }

    [Fact]
    public void RemovePeer_MiddleEntry_OnlyItsLinesGoCommentsOfOthersStay()
    {
        var text = "peers:\n  # the router\n  - name: a   # first\n    k: 1\n  - name: 'b'\n    k: 2\n  - k: 3\n    name: c\n";
        Assert.Equal("peers:\n  # the router\n  - name: a   # first\n    k: 1\n  - k: 3\n    name: c\n", StackPeerText.RemovePeer(text, "b"));
        Assert.Equal("peers:\n  # the router\n  - name: a   # first\n    k: 1\n  - name: 'b'\n    k: 2\n", StackPeerText.RemovePeer(text, "c"));
        Assert.Null(StackPeerText.RemovePeer(text, "d"));
    }

    [Fact]
    public void RemovePeer_TheOnlyEntry_LeavesAnEmptyList()
    {
        Assert.Equal("peers: []\nnext: 1\n", StackPeerText.RemovePeer("peers:\n  - name: a\n    k: 1\nnext: 1\n", "a"));
    }
}
