using Difenn.Operations.Remote;
using Difenn.Testing.Network;
using Difenn.Testing.Ssh;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Tests.Remote;

/// <summary>The SSH layer against a real sshd in a test namespace: scripts on stdin, exit codes, timeouts, refusals.</summary>
public sealed class SshRemoteShellTests : IAsyncLifetime
{
    private NetworkNamespace _ns = null!;
    private SshServer _sshd = null!;
    private SshClientKey _key = null!;
    private SshClientKey _encrypted = null!;
    private string _dir = null!;

    public async Task InitializeAsync()
    {
        _dir = Directory.CreateTempSubdirectory("dfn-ssh-").FullName;
        _key = await SshClientKey.GenerateAsync(_dir);
        // A test-time passphrase for a test-time key: neither is a secret of anything.
        _encrypted = await SshClientKey.GenerateAsync(_dir, "id_encrypted", passphrase: "correct horse");
        _ns = await NetworkNamespace.CreateAsync("ssh");
        _sshd = await SshServer.StartAsync(_ns, Path.Combine(_dir, "sshd"), [_key, _encrypted], "/usr/sbin:/usr/bin:/sbin:/bin");
        await _sshd.ForwardFromLoopbackAsync();
    }

    public async Task DisposeAsync()
    {
        await _sshd.DisposeAsync();
        await _ns.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private HostConnection Connection(IReadOnlyList<string>? pinned = null) => new("127.0.0.1", _sshd.LoopbackPort, "root", pinned ?? [_sshd.HostKeyLine], null);

    private SshRemoteShell Shell(string? identity = null, TimeSpan? commandTimeout = null, Func<string, string?>? passphraseFor = null) =>
        new(new SshOptions
            {
                IdentityFiles = [identity ?? _key.PrivateKeyPath], KnownHostsPath = Path.Combine(_dir, "none"), ConfigPath = Path.Combine(_dir, "none"),
                CommandTimeout = commandTimeout ?? TimeSpan.FromMinutes(1), PassphraseFor = passphraseFor, PassphraseSource = "TEST_PASSPHRASE",
            },
            new HostKeyPolicy(KnownHosts.Empty("no known_hosts")));

    [Fact]
    public async Task Run_ScriptOnStdin_OutputErrorExitCodeAndLargeScripts()
    {
        await using var shell = Shell();
        var r = await shell.RunAsync("t", Connection(), "echo out\necho err >&2\nexit 3\n");
        Assert.Equal((3, "out\n", "err\n"), (r.ExitCode, r.StdOut, r.StdErr));
        var big = string.Concat(Enumerable.Repeat("# filler line to make a large script\n", 30000)) + "echo done\n";
        Assert.Equal("done\n", (await shell.RunAsync("t", Connection(), big)).StdOut);
        // The script never appears on the remote command line.
        Assert.DoesNotContain("filler", (await shell.RunAsync("t", Connection(), "ps -eo args\n")).StdOut);
    }

    [Fact]
    public async Task Run_ScriptOutlivesCommandTimeout_HostUnreachableWithTheLimit()
    {
        await using var shell = Shell(commandTimeout: TimeSpan.FromSeconds(2));
        var ex = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("slow", Connection(), "sleep 30\n"));
        Assert.Equal("slow: the script did not finish within 2 s", ex.Message);
    }

    [Fact]
    public async Task Connect_WrongKeyOrWrongPinnedHostKey_RefusedWithReason()
    {
        var stranger = await SshClientKey.GenerateAsync(_dir, "stranger");
        await using (var shell = Shell(stranger.PrivateKeyPath))
        {
            var auth = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("hub2", Connection(), "true\n"));
            Assert.StartsWith($"hub2: authentication as root@127.0.0.1:{_sshd.LoopbackPort} failed", auth.Message);
        }
        await using (var shell = Shell())
        {
            var other = File.ReadAllText(stranger.PrivateKeyPath + ".pub");
            var refused = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("hub2", Connection([other]), "true\n"));
            Assert.Contains("is not one of the keys pinned in the stack", refused.Message);
        }
    }

    [Fact]
    public async Task Connect_EncryptedIdentity_OpenedWithItsPassphraseRefusedClearlyWithoutOrWithAWrongOne()
    {
        var asked = new List<string>();
        await using (var shell = Shell(_encrypted.PrivateKeyPath, passphraseFor: p => { asked.Add(p); return "correct horse"; }))
            Assert.Equal("in\n", (await shell.RunAsync("hub2", Connection(), "echo in\n")).StdOut);
        Assert.Equal([_encrypted.PrivateKeyPath], asked);

        await using (var shell = Shell(_encrypted.PrivateKeyPath))
        {
            var none = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("hub2", Connection(), "true\n"));
            Assert.Equal($"identity file {_encrypted.PrivateKeyPath} is passphrase-protected and no passphrase was given; give it with TEST_PASSPHRASE", none.Message);
        }
        await using (var shell = Shell(_encrypted.PrivateKeyPath, passphraseFor: _ => "battery staple"))
        {
            var wrong = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("hub2", Connection(), "true\n"));
            Assert.Equal($"identity file {_encrypted.PrivateKeyPath}: the passphrase (from TEST_PASSPHRASE) does not decrypt it", wrong.Message);
            Assert.DoesNotContain("battery", wrong.ToString());
        }
        // An unencrypted key never asks.
        await using (var shell = Shell(passphraseFor: p => throw new InvalidOperationException("asked for " + p)))
            Assert.Equal(0, (await shell.RunAsync("hub2", Connection(), "true\n")).ExitCode);
    }
}
