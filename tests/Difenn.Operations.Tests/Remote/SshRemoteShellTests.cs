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
        _sshd = await SshServer.StartAsync(_ns, Path.Combine(_dir, "sshd"), [_key, _encrypted], "/usr/sbin:/usr/bin:/sbin:/bin",
            extraHostKeyTypes: ["rsa", "ecdsa"]);
        await _sshd.ForwardFromLoopbackAsync();
    }

    public async Task DisposeAsync()
    {
        await _sshd.DisposeAsync();
        await _ns.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private HostConnection Connection(IReadOnlyList<string>? pinned = null) => new("127.0.0.1", _sshd.LoopbackPort, "root", pinned ?? [_sshd.HostKeyLine], null);

    private SshRemoteShell Shell(string? identity = null, TimeSpan? commandTimeout = null, Func<string, string?>? passphraseFor = null, KnownHosts? knownHosts = null) =>
        new(new SshOptions
            {
                IdentityFiles = [identity ?? _key.PrivateKeyPath], KnownHostsPath = Path.Combine(_dir, "none"), ConfigPath = Path.Combine(_dir, "none"),
                CommandTimeout = commandTimeout ?? TimeSpan.FromMinutes(1), PassphraseFor = passphraseFor, PassphraseSource = "TEST_PASSPHRASE",
            },
            new HostKeyPolicy(knownHosts ?? KnownHosts.Empty("no known_hosts")));

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task Connect_OnlyAnRsaOrEcdsaKeyTrusted_NegotiatesThatKeyNoFalseMismatch(string type)
    {
        // sshd has ed25519, RSA and ECDSA host keys; the client trusts one of the latter, as ssh would accept.
        var line = _sshd.HostKeyLines[type];
        await using (var pinned = Shell())
            Assert.Equal("ok\n", (await pinned.RunAsync("px3", Connection([line]), "echo ok\n")).StdOut);
        var knownHosts = KnownHosts.Parse($"[127.0.0.1]:{_sshd.LoopbackPort} {line}\n", "known_hosts");
        await using (var listed = Shell(knownHosts: knownHosts))
            Assert.Equal("ok\n", (await listed.RunAsync("px3", Connection([]), "echo ok\n")).StdOut);
        // ssh itself agrees with the same file.
        var file = Path.Combine(_dir, $"known_hosts_{type}");
        File.WriteAllText(file, $"[127.0.0.1]:{_sshd.LoopbackPort} {line}\n");
        var ssh = await Difenn.Testing.Processes.ProcessRunner.RunAsync("ssh", ["-i", _key.PrivateKeyPath, "-p", _sshd.LoopbackPort.ToString(), "-o", $"UserKnownHostsFile={file}",
            "-o", "StrictHostKeyChecking=yes", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "root@127.0.0.1", "echo ok"]);
        Assert.Equal("ok\n", ssh.StdOut);
    }

    [Fact]
    public async Task Connect_TrustedRsaKeyButServerPresentsAnother_StillMismatch()
    {
        // Restricting the offer must not weaken the check: a different RSA key is still refused.
        var other = KnownHosts.Parse($"[127.0.0.1]:{_sshd.LoopbackPort} ssh-rsa {_sshd.HostKeyLines["ecdsa"].Split(' ')[1]}\n", "known_hosts");
        await using var shell = Shell(knownHosts: other);
        var ex = await Assert.ThrowsAsync<HostUnreachableException>(() => shell.RunAsync("px3", Connection([]), "true\n"));
        Assert.Contains("HOST KEY MISMATCH", ex.Message);
    }

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
