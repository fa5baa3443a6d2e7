using Difenn.Cli.Remote;

namespace Difenn.Cli.Tests.Remote;

public class SshPassphraseTests
{
    [Fact]
    public void For_EnvironmentVariableSet_UsedForEveryKeyWithoutPrompting()
    {
        var passphrase = new SshPassphrase(name => name == SshPassphrase.EnvironmentVariable ? "from-env" : null, _ => throw new InvalidOperationException("prompted"));
        Assert.Equal("from-env", passphrase.For("/k1"));
        Assert.Equal("from-env", passphrase.For("/k2"));
    }

    [Fact]
    public void For_NoEnvironmentVariable_PromptsOncePerFile()
    {
        var prompts = new List<string>();
        var passphrase = new SshPassphrase(_ => null, path => { prompts.Add(path); return "typed " + path; });
        Assert.Equal("typed /k1", passphrase.For("/k1"));
        Assert.Equal("typed /k1", passphrase.For("/k1"));
        Assert.Equal("typed /k2", passphrase.For("/k2"));
        Assert.Equal(["/k1", "/k2"], prompts);
        Assert.Equal("DIFENN_SSH_PASSPHRASE or at the terminal prompt", passphrase.Source);
    }

    [Fact]
    public void For_NeitherEnvironmentNorPrompt_Null()
    {
        var passphrase = new SshPassphrase(_ => "", null);
        Assert.Null(passphrase.For("/k1"));
        Assert.Equal("DIFENN_SSH_PASSPHRASE", passphrase.Source);
    }
}
