using Difenn.Operations.Remote;

namespace Difenn.Operations.Tests.Remote;

public class SshConfigFileTests
{
    [Fact]
    public void For_AliasesPatternsFirstValueWins()
    {
        var config = SshConfigFile.Parse("""
            # the runbook's hosts
            Host px3 px3-suzuka
                HostName 192.0.2.3
                Port 2222
                IdentityFile ~/.ssh/homelab
            Host *.lab !bad.lab
                User admin
            Match host foo
                Port 1
            Host *
                Port 22
                User root
            """);
        var px3 = config.For("px3");
        Assert.Equal(("192.0.2.3", 2222, "root"), (px3.HostName, px3.Port, px3.User));
        Assert.EndsWith("/.ssh/homelab", Assert.Single(px3.IdentityFiles));
        Assert.Equal("admin", config.For("r1.lab").User);
        Assert.Equal("root", config.For("bad.lab").User);
        Assert.Null(config.For("hub2").HostName);
        Assert.Equal(22, config.For("foo").Port); // Match blocks are not applied
    }
}
