using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Difenn.Testing.Network;
using Difenn.Testing.Processes;

namespace Difenn.Testing.Ssh;

/// <summary>
/// A real OpenSSH server in a test network namespace, optionally inside a private mount namespace set up by
/// <c>mountSetup</c> (so the commands it runs see the test host's own /etc, /opt, ... and never the machine's).
/// Its host key is generated at test time; it accepts only <see cref="SshClientKey"/>s it is given. From the
/// machine's own namespace it is reached through a socat forwarder on 127.0.0.1 (no interface is added there).
/// </summary>
public sealed class SshServer : IAsyncDisposable
{
    private Process? _sshd;
    private Process? _forwarder;

    private SshServer(NetworkNamespace ns, string root)
    {
        Namespace = ns;
        Root = root;
    }

    /// <summary>The namespace sshd runs in.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>The directory holding its config and keys.</summary>
    public string Root { get; }

    /// <summary>The host public key, <c>ssh-ed25519 AAAA…</c>.</summary>
    public string HostKeyLine { get; private set; } = "";

    /// <summary>Every host public key by type (<c>ed25519</c>, and <c>rsa</c>/<c>ecdsa</c> when asked for), <c>type AAAA…</c>.</summary>
    public Dictionary<string, string> HostKeyLines { get; } = [];

    /// <summary>sshd's pid: its mount and network namespaces are the test host's "console".</summary>
    public int Pid => _sshd!.Id;

    /// <summary>The loopback port of the forwarder (0 until <see cref="ForwardFromLoopbackAsync"/>).</summary>
    public int LoopbackPort { get; private set; }

    /// <summary>sshd's output (with -e: its log).</summary>
    public System.Text.StringBuilder Log { get; } = new();

    /// <summary>
    /// Starts sshd on port 22 of <paramref name="ns"/> (all addresses).
    /// </summary>
    /// <param name="ns">The namespace.</param>
    /// <param name="root">A directory of the test's for config and keys.</param>
    /// <param name="authorized">Client keys allowed to log in (as root).</param>
    /// <param name="path">PATH for sessions (fakes first).</param>
    /// <param name="mountSetup">Shell commands run in the new mount namespace before sshd starts (e.g. overlay /etc).</param>
    /// <param name="environment">Extra environment variables for sessions.</param>
    public static async Task<SshServer> StartAsync(NetworkNamespace ns, string root, IEnumerable<SshClientKey> authorized, string path,
        string mountSetup = "true", IDictionary<string, string>? environment = null, IReadOnlyList<string>? extraHostKeyTypes = null)
    {
        var server = new SshServer(ns, root);
        Directory.CreateDirectory(root);
        var hostKeys = new List<string>();
        foreach (var type in (string[])["ed25519", .. extraHostKeyTypes ?? []])
        {
            var hostKey = Path.Combine(root, $"ssh_host_{type}_key");
            (await ProcessRunner.RunAsync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", hostKey])).EnsureSuccess("ssh-keygen host key");
            server.HostKeyLines[type] = string.Join(' ', File.ReadAllText(hostKey + ".pub").Trim().Split(' ')[..2]);
            hostKeys.Add("HostKey " + hostKey);
        }
        server.HostKeyLine = server.HostKeyLines["ed25519"];
        File.WriteAllLines(Path.Combine(root, "authorized_keys"), authorized.Select(k => k.PublicKeyLine));
        var env = string.Join(' ', new Dictionary<string, string>(environment ?? new Dictionary<string, string>()) { ["PATH"] = path }.Select(kv => $"{kv.Key}={kv.Value}"));
        File.WriteAllText(Path.Combine(root, "sshd_config"), $"""
            Port 22
            {string.Join("\n", hostKeys)}
            AuthorizedKeysFile {root}/authorized_keys
            PermitRootLogin prohibit-password
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            StrictModes no
            PidFile none
            PrintMotd no
            SetEnv {env}
            # As a stock Debian/Ubuntu/Proxmox sshd_config: only the locale may be passed by clients.
            AcceptEnv LANG LC_*
            Subsystem sftp /usr/lib/openssh/sftp-server

            """);
        Directory.CreateDirectory("/run/sshd"); // sshd's privilege-separation directory (Debian's unit creates it too)
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true };
        // The machine's own shell start-up files stay out of the test host: sshd runs commands through root's bash,
        // which reads ~/.bashrc when started by sshd, and this machine's (pyenv init) can wait 60 s on a lock a killed
        // session left behind. The hosts this lab stands in for have their own, stock ones.
        const string hideStartupFiles = "for f in /root/.bashrc /root/.bash_profile /root/.profile; do if [ -f \"$f\" ]; then mount --bind /dev/null \"$f\"; fi; done";
        foreach (var a in new[] { "netns", "exec", ns.Name, "unshare", "--mount", "--propagation", "private", "sh", "-c",
                     $"{hideStartupFiles} && {mountSetup} && exec /usr/sbin/sshd -D -e -f {root}/sshd_config" })
            psi.ArgumentList.Add(a);
        server._sshd = Process.Start(psi)!;
        server._sshd.ErrorDataReceived += (_, e) => { lock (server.Log) server.Log.AppendLine(e.Data); };
        server._sshd.OutputDataReceived += (_, e) => { lock (server.Log) server.Log.AppendLine(e.Data); };
        server._sshd.BeginErrorReadLine();
        server._sshd.BeginOutputReadLine();
        for (var i = 0; i < 100; i++)
        {
            if (server._sshd.HasExited) throw new InvalidOperationException($"sshd exited ({server._sshd.ExitCode}): {server.Log}");
            if ((await ns.RunAsync("ss", ["-Htln", "sport = :22"])).StdOut.Contains(":22")) return server;
            await Task.Delay(50);
        }
        throw new TimeoutException($"sshd did not listen in {ns.Name}: {server.Log}");
    }

    /// <summary>Forwards a free port on the machine's 127.0.0.1 to this server (socat, one process a connection).</summary>
    public async Task<int> ForwardFromLoopbackAsync()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        LoopbackPort = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        var psi = new ProcessStartInfo("socat") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add($"TCP-LISTEN:{LoopbackPort},bind=127.0.0.1,fork,reuseaddr");
        psi.ArgumentList.Add($"EXEC:ip netns exec {Namespace.Name} socat STDIO TCP\\:127.0.0.1\\:22");
        _forwarder = Process.Start(psi)!;
        for (var i = 0; i < 100; i++)
        {
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, LoopbackPort);
                return LoopbackPort;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        throw new TimeoutException("the socat forwarder did not listen");
    }

    /// <summary>Runs a script on this host's console: sshd's mount and network namespaces, as root, not over SSH.</summary>
    public Task<ProcessResult> ConsoleAsync(string script, TimeSpan? timeout = null, IDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync("nsenter", ["-t", Pid.ToString(), "-m", "-n", "sh", "-s"], script, timeout, environment);

    /// <summary>Stops sshd and the forwarder.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var p in new[] { _forwarder, _sshd })
        {
            if (p is null) continue;
            try { if (!p.HasExited) p.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
            p.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
