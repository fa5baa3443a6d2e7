using Difenn.Operations.Remote;
using Difenn.Testing.Network;
using Difenn.Testing.OpenWrt;
using Difenn.Testing.Processes;
using Difenn.Testing.Ssh;
using Difenn.Topology.Desired;
using Difenn.Topology.Loading;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;

namespace Difenn.Testing.Lab;

/// <summary>
/// The whole topology in network namespaces, deployed from its stack file by the project's own rendered scripts:
/// <list type="bullet">
/// <item>hub2: real sshd, real <c>ufw</c> (its /etc an overlay), and a FAKE docker CLI (no Docker engine here) whose
/// containers are a JSON file and which runs the relay image as the real difenn-relay binary on 51820 and 443;</item>
/// <item>px3: real sshd with a FAKE <c>pct</c> whose <c>pct exec 2914 --</c> enters the container;</item>
/// <item>CT2914: a namespace with its own /etc/wireguard, /run/wireguard and /root (as an LXC container has),
/// <c>wg-quick</c> + <c>wireguard-go</c>, and a FAKE <c>systemctl</c> (no systemd here);</item>
/// <item>the XE300: real sshd reachable only through the tunnel, a real wireguard-go interface, OpenWrt's real
/// <c>uci</c>, busybox as its shell, and a FAKE netifd (which applies uci to that interface as netifd would).</item>
/// </list>
/// The router reaches CT2914 only through the relay; the test machine reaches hub2 and px3 through socat
/// forwarders on 127.0.0.1, and nothing of the machine's own configuration is touched.
/// </summary>
public sealed class TopologyLab : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private TopologyLab(string root) => Root = root;

    public string Root { get; }
    public NetworkNamespace HubNs { get; private set; } = null!;
    public NetworkNamespace Px3Ns { get; private set; } = null!;
    public NetworkNamespace CtNs { get; private set; } = null!;
    public NetworkNamespace RouterNs { get; private set; } = null!;
    public SshServer Hub { get; private set; } = null!;
    public SshServer Px3 { get; private set; } = null!;
    public SshServer Router { get; private set; } = null!;
    public SshClientKey OperatorKey { get; private set; } = null!;
    public string KnownHostsPath => Path.Combine(Root, "known_hosts");
    public string StackPath => Path.Combine(Root, "lab.yaml");
    public string SecretsDir => Path.Combine(Root, "secrets");
    public WireGuardPrivateKey ServerKey { get; private set; } = WireGuardPrivateKey.Generate();
    public WireGuardPrivateKey RouterKey { get; private set; } = WireGuardPrivateKey.Generate();
    public string HubDir => Path.Combine(Root, "hub");
    public string Px3Dir => Path.Combine(Root, "px3");
    public string CtDir => Path.Combine(Root, "ct");
    public string RouterDir => Path.Combine(Root, "router");

    /// <summary>Secrets as the CLI reads them (<c>--secrets-dir</c>): the current keys in 0600 files.</summary>
    public ISecretSource Secrets => new DirectorySecretSource(SecretsDir);

    /// <param name="rollbackSeconds">The router's rollback timer.</param>
    /// <param name="endpointHost">The router's endpoint host: hub2's address (default), or a name the router's
    /// /etc/hosts maps to it (<see cref="SetRouterHostsEntry"/>), resolved as OpenWrt does (getaddrinfo).</param>
    public static async Task<TopologyLab> StartAsync(int rollbackSeconds = 30, string endpointHost = LabStack.HubFront)
    {
        LabRequirements.RequireRoot();
        var lab = new TopologyLab(Directory.CreateTempSubdirectory("dfn-lab-").FullName);
        try
        {
            await lab.BuildAsync(rollbackSeconds, endpointHost);
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>A lab with the stack deployed and the tunnel up (<see cref="StartAsync"/> then <see cref="DeployAsync"/>).</summary>
    public static async Task<TopologyLab> StartDeployedAsync()
    {
        var lab = await StartAsync();
        try
        {
            await lab.DeployAsync();
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    private async Task BuildAsync(int rollbackSeconds, string endpointHost)
    {
        foreach (var d in new[] { "hub/upper/default", "hub/work", "hub/opt", "hub/bin", "px3/bin", "ct/etc", "ct/run", "ct/root/.ssh", "ct/bin",
                     "router/upper/config", "router/upper/init.d", "router/work", "router/run", "router/bin", "router/uci-staging", "secrets", "operator" })
            Directory.CreateDirectory(Path.Combine(Root, d));
        Directory.CreateDirectory("/run/wireguard"); // bind-mount target only
        OperatorKey = await SshClientKey.GenerateAsync(Path.Combine(Root, "operator"));
        var ctKey = await SshClientKey.GenerateAsync(Path.Combine(CtDir, "root", ".ssh"));

        HubNs = await Own(NetworkNamespace.CreateAsync("hub"));
        Px3Ns = await Own(NetworkNamespace.CreateAsync("px3"));
        CtNs = await Own(NetworkNamespace.CreateAsync("ct"));
        RouterNs = await Own(NetworkNamespace.CreateAsync("xe"));
        await VethPair.ConnectAsync(RouterNs, LabStack.RouterUplink + "/24", HubNs, LabStack.HubFront + "/24");
        await VethPair.ConnectAsync(HubNs, LabStack.HubBack + "/24", CtNs, LabStack.Container + "/24");

        // hub2: ufw's /etc is an overlay; no sysctl or module loading from inside a test namespace.
        File.WriteAllText(Path.Combine(HubDir, "upper/default/ufw"), File.ReadAllText("/etc/default/ufw")
            .Replace("IPT_SYSCTL=/etc/ufw/sysctl.conf", "IPT_SYSCTL=/dev/null").Replace("IPT_MODULES=\"nf_conntrack_ftp nf_nat_ftp nf_conntrack_netbios_ns\"", "IPT_MODULES=\"\""));
        CopyFake("docker", Path.Combine(HubDir, "bin"));
        Hub = await Own(SshServer.StartAsync(HubNs, Path.Combine(HubDir, "sshd"), [OperatorKey], SearchPath($"{HubDir}/bin"),
            $"mount -t overlay overlay -o lowerdir=/etc,upperdir={HubDir}/upper,workdir={HubDir}/work /etc && mount --bind {HubDir}/opt /opt"));
        await Hub.ForwardFromLoopbackAsync();

        // px3: pct exec enters CT2914.
        WriteExecutable(Path.Combine(Px3Dir, "bin", "pct"), FakePct());
        Px3 = await Own(SshServer.StartAsync(Px3Ns, Path.Combine(Px3Dir, "sshd"), [OperatorKey], SearchPath($"{Px3Dir}/bin")));
        await Px3.ForwardFromLoopbackAsync();

        // CT2914: a systemctl that remembers what is enabled.
        WriteExecutable(Path.Combine(CtDir, "bin", "systemctl"), $"""
            #!/bin/sh
            # FAKE systemctl (no systemd in a test namespace): enable/disable/is-enabled on marker files, as systemd reports them.
            mkdir -p {CtDir}/enabled
            echo "$*" >> {CtDir}/systemctl.log
            case "$1" in
              enable) touch "{CtDir}/enabled/$2" ;;
              disable) rm -f "{CtDir}/enabled/$2" ;;
              is-enabled) if [ -e "{CtDir}/enabled/$2" ]; then echo enabled; else echo disabled; exit 1; fi ;;
            esac

            """);

        // XE300: OpenWrt's /etc (overlay) with a realistic network file, OpenWrt's real uci (its staging /tmp/.uci the
        // router's own), busybox as sh and the usual applets, a FAKE netifd; sshd only reachable through the tunnel.
        File.WriteAllText(Path.Combine(RouterDir, "upper/config/network"), OpenWrtTools.InitialNetwork);
        CopyFake("netifd", Path.Combine(RouterDir, "upper/init.d"), "network");
        CopyFake("netifd", Path.Combine(RouterDir, "bin"), "ifup");
        OpenWrtTools.InstallInto(Path.Combine(RouterDir, "bin"));
        Directory.CreateDirectory("/tmp/.uci"); // bind-mount target only
        Router = await Own(SshServer.StartAsync(RouterNs, Path.Combine(RouterDir, "sshd"), [ctKey], SearchPath($"{RouterDir}/bin"),
            $"mount -t overlay overlay -o lowerdir=/etc,upperdir={RouterDir}/upper,workdir={RouterDir}/work /etc && mount --bind {RouterDir}/run /run/wireguard && mount --bind {RouterDir}/uci-staging /tmp/.uci"));
        File.WriteAllText(Path.Combine(CtDir, "root/.ssh/known_hosts"), $"10.200.0.2 {Router.HostKeyLine}\n");

        File.WriteAllText(KnownHostsPath, $"[127.0.0.1]:{Px3.LoopbackPort} {Px3.HostKeyLine}\n");
        File.WriteAllText(StackPath, LabStack.Yaml(Hub.LoopbackPort, Hub.HostKeyLine, Px3.LoopbackPort, ServerKey.PublicKey, RouterKey.PublicKey, rollbackSeconds, endpointHost));
        if (endpointHost != LabStack.HubFront) SetRouterHostsEntry(endpointHost, LabStack.HubFront);
        WriteSecrets();
    }

    /// <summary>Deploys the stack as `pulumi up` would, with the desired state's own scripts, then waits for the tunnel.</summary>
    public async Task DeployAsync()
    {
        await PrepareRunbookStateAsync();
        var state = Desired();
        await using var shell = Shell();
        foreach (var host in state.Hosts.Where(h => h.Role != "openwrt-peer"))
            foreach (var c in host.Commands)
                (await shell.RunAsync(host.Name, host.Connection, c.Create.Reveal(SecretValues))).EnsureSuccess(host.Name, c.Name);
        await ConfigureRouterAtConsoleAsync();
        await WaitForHandshakeAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>The current secret values by name (for revealing scripts).</summary>
    public DictionarySecretSource SecretValues => new(new Dictionary<string, string> { ["serverPrivateKey"] = ServerKey.RevealBase64(), ["xe300PrivateKey"] = RouterKey.RevealBase64() });

    /// <summary>
    /// The runbook's hub before any deploy: ufw active with another service's rule, the socat containers and another
    /// service's container in the shared project; the relay image known to the fake engine (unless <paramref name="withRelayImage"/> is false).
    /// </summary>
    public async Task PrepareRunbookStateAsync(bool withRelayImage = true)
    {
        (await Hub.ConsoleAsync("set -e\nufw allow 22/tcp comment 'SSH (not ours)' >/dev/null\nufw --force enable >/dev/null\n", environment: Env(HubDir)))
            .EnsureSuccess("hub ufw enable");
        File.WriteAllText(Path.Combine(HubDir, "docker-state.json"), LegacyContainers());
        // The fake engine runs the relay image as the real binary, in hub2's network namespace (host networking).
        if (withRelayImage)
            File.WriteAllText(Path.Combine(HubDir, "docker-images.json"), System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["difenn-relay:0.1.0"] = RelayBinary() }));
    }

    /// <summary>The router configured at its console (as the runbook did by hand): the tunnel does not exist yet.</summary>
    public async Task ConfigureRouterAtConsoleAsync()
    {
        (await Router.ConsoleAsync("wireguard-go wg_difenn", environment: Env(RouterDir))).EnsureSuccess("wireguard-go wg_difenn");
        var router = Desired().Hosts.Single(h => h.Role == "openwrt-peer");
        (await Router.ConsoleAsync(router.Commands.Single().Create.Reveal(SecretValues), environment: Env(RouterDir))).EnsureSuccess("router apply");
    }

    /// <summary>The router's /etc/hosts: <paramref name="name"/> resolves to <paramref name="address"/> (a changed DNS answer).</summary>
    public void SetRouterHostsEntry(string name, string address) =>
        File.WriteAllText(Path.Combine(RouterDir, "upper", "hosts"), $"127.0.0.1 localhost\n{address} {name}\n");

    /// <summary>Runs a script at the router's console: its namespaces, its PATH (busybox sh, OpenWrt's uci).</summary>
    public Task<ProcessResult> RouterConsoleAsync(string script, TimeSpan? timeout = null) => Router.ConsoleAsync(script, timeout, Env(RouterDir));

    /// <summary>What a failing test should show: the relay containers' logs and both ends' wg state (no keys).</summary>
    public async Task<string> DiagnosticsAsync()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var log in Directory.GetFiles(HubDir, "*.log"))
            sb.AppendLine($"--- {System.IO.Path.GetFileName(log)}").AppendLine(File.ReadAllText(log));
        sb.AppendLine("--- ct2914 wg show").AppendLine((await ContainerAsync("wg show wg0")).StdOut);
        sb.AppendLine("--- xe300 wg show").AppendLine((await Router.ConsoleAsync("wg show wg_difenn")).StdOut);
        sb.AppendLine("--- docker state").AppendLine(File.Exists(System.IO.Path.Combine(HubDir, "docker-state.json")) ? File.ReadAllText(System.IO.Path.Combine(HubDir, "docker-state.json")) : "");
        return sb.ToString();
    }

    public Stack Stack()
    {
        var load = StackLoader.Load(StackPath);
        return load.Stack ?? throw new InvalidOperationException("lab stack invalid:\n" + string.Join("\n", load.Diagnostics));
    }

    public DesiredState Desired() => DesiredStateBuilder.Build(Stack());

    /// <summary>The lab's OpenSSH client config (absent unless a test writes it): the machine's own ~/.ssh/config never applies.</summary>
    public string SshConfigPath => System.IO.Path.Combine(Root, "ssh_config");

    public SshRemoteShell Shell() => new(new SshOptions { IdentityFiles = [OperatorKey.PrivateKeyPath], KnownHostsPath = KnownHostsPath, ConfigPath = SshConfigPath, ConnectTimeout = TimeSpan.FromSeconds(5) },
        new HostKeyPolicy(KnownHosts.Load(KnownHostsPath)));

    /// <summary>The CLI arguments that point a stack command at this lab.</summary>
    public string[] CliArgs => ["--stack-file", StackPath, "--identity", OperatorKey.PrivateKeyPath, "--known-hosts", KnownHostsPath, "--ssh-config", SshConfigPath, "--secrets-dir", SecretsDir];

    /// <summary>Runs a script inside CT2914 (its console, not over SSH).</summary>
    public Task<ProcessResult> ContainerAsync(string script) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", CtNs.Name, "unshare", "--mount", "sh", "-c", $"{ContainerMounts} && exec sh -s"], script,
            environment: Env(CtDir));

    /// <summary>Waits until the server has a handshake with the router newer than <paramref name="after"/>.</summary>
    public async Task<bool> WaitForHandshakeAsync(TimeSpan timeout, DateTimeOffset? after = null)
    {
        var since = (after ?? DateTimeOffset.UnixEpoch).ToUnixTimeSeconds();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var r = await ContainerAsync("wg show wg0 latest-handshakes");
            if (r.ExitCode == 0 && r.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(l => long.TryParse(l.Split('\t')[^1], out var t) && t > since))
                return true;
            await Task.Delay(250);
        }
        return false;
    }

    /// <summary>Replaces the secrets the CLI will read.</summary>
    public void WriteSecrets()
    {
        WriteSecret("serverPrivateKey", ServerKey.RevealBase64());
        WriteSecret("xe300PrivateKey", RouterKey.RevealBase64());
    }

    private void WriteSecret(string name, string value)
    {
        var path = System.IO.Path.Combine(SecretsDir, name);
        File.Delete(path);
        using var fs = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
        fs.Write(System.Text.Encoding.ASCII.GetBytes(value + "\n"));
    }

    /// <summary>The Native AOT relay (DIFENN_RELAY_BINARY, as .ci/test sets it, or artifacts/relay/difenn-relay).</summary>
    public static string RelayBinary()
    {
        var fromEnv = Environment.GetEnvironmentVariable("DIFENN_RELAY_BINARY");
        if (!string.IsNullOrEmpty(fromEnv)) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "artifacts", "relay", "difenn-relay");
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidOperationException("the lab runs the real difenn-relay binary: run .ci/test, or publish it to artifacts/relay (see .ci/test) or set DIFENN_RELAY_BINARY");
    }

    private string ContainerMounts => $"mount --bind {CtDir}/etc /etc/wireguard && mount --bind {CtDir}/run /run/wireguard && mount --bind {CtDir}/root /root";

    private string FakePct() => $$"""
        #!/bin/sh
        # FAKE pct (Proxmox's container tool; no Proxmox here), for tests only. `pct exec 2914 -- CMD...` runs CMD inside the
        # lab's CT2914 as LXC would: its network namespace, its own /etc/wireguard, /run/wireguard and /root, its PATH.
        # A file {{Px3Dir}}/pct-locked makes it fail as Proxmox does for a locked container, and {{Px3Dir}}/ct-etc-readonly
        # makes the container's /etc/wireguard read-only (to test failure paths).
        if [ "$1" != exec ]; then echo "fake pct: only 'pct exec ID -- CMD' is supported" >&2; exit 2; fi
        if [ "$2" != 2914 ]; then echo "Configuration file 'nodes/px3/lxc/$2.conf' does not exist" >&2; exit 2; fi
        if [ -e {{Px3Dir}}/pct-locked ]; then echo "CT 2914 is locked (backup)" >&2; exit 2; fi
        shift 2
        [ "$1" = "--" ] && shift
        exec ip netns exec {{CtNs.Name}} unshare --mount --propagation private sh -c '{{ContainerMounts}} && { [ ! -e {{Px3Dir}}/ct-etc-readonly ] || mount -o remount,bind,ro /etc/wireguard; } && exec "$@"' pct \
          env PATH={{CtDir}}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
          WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 "$@"

        """;

    private static string LegacyContainers() => """
        [
         {"Name": "/charliehub_difenn_relay", "Config": {"Image": "alpine/socat@sha256:0000", "Cmd": ["UDP-LISTEN:51820,fork,reuseaddr", "UDP:10.44.1.214:51820"], "Labels": {"com.docker.compose.project": "charliehub"}},
          "State": {"Running": true, "Status": "running"}, "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "NetworkMode": "host"}},
         {"Name": "/charliehub_difenn_relay_443", "Config": {"Image": "alpine/socat@sha256:0000", "Cmd": ["UDP-LISTEN:443,fork,reuseaddr", "UDP:10.44.1.214:51820"], "Labels": {"com.docker.compose.project": "charliehub"}},
          "State": {"Running": true, "Status": "running"}, "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "NetworkMode": "host"}},
         {"Name": "/charliehub_traefik", "Config": {"Image": "traefik:v3", "Cmd": [], "Labels": {"com.docker.compose.project": "charliehub"}},
          "State": {"Running": true, "Status": "running"}, "HostConfig": {"RestartPolicy": {"Name": "unless-stopped"}, "NetworkMode": "bridge"}}
        ]
        """;

    private static string SearchPath(string bin) => $"{bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private static Dictionary<string, string> Env(string dir) => new()
    {
        ["PATH"] = SearchPath($"{dir}/bin"),
        ["WG_QUICK_USERSPACE_IMPLEMENTATION"] = "wireguard-go",
        ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1",
    };

    private static void CopyFake(string name, string dir, string? as_ = null)
    {
        var target = System.IO.Path.Combine(dir, as_ ?? name);
        File.Copy(System.IO.Path.Combine(AppContext.BaseDirectory, "Fakes", name), target, overwrite: true);
        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
    }

    private static void WriteExecutable(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    private async Task<T> Own<T>(Task<T> create) where T : IAsyncDisposable
    {
        var item = await create;
        _owned.Add(item);
        return item;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
