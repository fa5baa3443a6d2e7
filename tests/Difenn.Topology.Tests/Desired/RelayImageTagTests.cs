using Difenn.Topology.Desired;

namespace Difenn.Topology.Tests.Desired;

public class RelayImageTagTests
{
    [Theory]
    [InlineData("difenn-relay:0.1.0", "difenn-relay")]
    [InlineData("difenn-relay", "difenn-relay")]
    [InlineData("registry:5000/difenn-relay:0.1.0", "registry:5000/difenn-relay")]
    [InlineData("registry:5000/difenn-relay", "registry:5000/difenn-relay")]
    public void Repository_StripsOnlyTheTag(string image, string repository) => Assert.Equal(repository, RelayImageTag.Repository(image));

    [Fact]
    public void ContentTag_OfTheDesiredRepository_Accepted_OthersNot()
    {
        var tag = RelayImageTag.For("difenn-relay", new string('a', 64));
        Assert.Equal("difenn-relay:sha256-aaaaaaaaaaaaaaaa", tag);
        Assert.True(RelayImageTag.IsContentTagOf(tag, "difenn-relay:0.1.0"));
        Assert.False(RelayImageTag.IsContentTagOf("other:sha256-aaaaaaaaaaaaaaaa", "difenn-relay:0.1.0"));
        Assert.False(RelayImageTag.IsContentTagOf("difenn-relay:0.0.9", "difenn-relay:0.1.0"));
        Assert.False(RelayImageTag.IsContentTagOf("difenn-relay:sha256-AAAAAAAAAAAAAAAA", "difenn-relay:0.1.0"));
        Assert.False(RelayImageTag.IsContentTagOf("difenn-relay:sha256-aaaa", "difenn-relay:0.1.0"));
        Assert.False(RelayImageTag.IsContentTagOf("alpine/socat@sha256:0000", "difenn-relay:0.1.0"));
    }
}
