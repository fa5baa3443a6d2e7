using System.Security.Cryptography;
using Difenn.Testing.Processes;

namespace Difenn.Testing.Network;

/// <summary>
/// A Linux network namespace created for one test (<c>ip netns add</c>), with loopback up, deleted on dispose.
/// Names are unique per instance so tests and engineers can run concurrently. Requires root.
/// </summary>
public sealed class NetworkNamespace : IAsyncDisposable
{
    private NetworkNamespace(string name) => Name = name;

    /// <summary>The namespace's name, e.g. <c>dfn-wg-1a2b3c</c>.</summary>
    public string Name { get; }

    /// <summary>Creates a namespace named <c>dfn-&lt;prefix&gt;-&lt;random&gt;</c> and brings its loopback up.</summary>
    public static async Task<NetworkNamespace> CreateAsync(string prefix)
    {
        LabRequirements.RequireRoot();
        var name = $"dfn-{prefix}-{RandomSuffix()}";
        (await ProcessRunner.RunAsync("ip", ["netns", "add", name])).EnsureSuccess($"ip netns add {name}");
        var ns = new NetworkNamespace(name);
        await ns.ExecAsync("ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Runs a command inside the namespace; throws when it fails.</summary>
    public async Task<string> ExecAsync(string file, params string[] args) =>
        (await RunAsync(file, args)).EnsureSuccess($"[{Name}] {file} {string.Join(' ', args)}").StdOut;

    /// <summary>Runs a command inside the namespace and returns its result whatever the exit code.</summary>
    public Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null) =>
        ProcessRunner.RunAsync("ip", ["netns", "exec", Name, file, .. args], stdin, timeout, environment);

    /// <summary>The argument prefix that runs a long-lived process inside this namespace.</summary>
    public string[] ExecPrefix => ["ip", "netns", "exec", Name];

    /// <summary>Short random suffix for names (interface names are limited to 15 characters).</summary>
    public static string RandomSuffix() => Convert.ToHexString(RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();

    /// <summary>Deletes the namespace (and with it every interface inside).</summary>
    public async ValueTask DisposeAsync()
    {
        // Kill whatever still runs inside (wireguard-go, sshd, relays) before deleting.
        var pids = await ProcessRunner.RunAsync("ip", ["netns", "pids", Name]);
        foreach (var pid in pids.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            await ProcessRunner.RunAsync("kill", ["-9", pid.Trim()]);
        await ProcessRunner.RunAsync("ip", ["netns", "del", Name]);
    }
}

/// <summary>Links two namespaces with a veth pair and addresses on each end.</summary>
public static class VethPair
{
    /// <summary>
    /// Creates a veth pair between <paramref name="a"/> and <paramref name="b"/>, assigns
    /// <paramref name="addressA"/>/<paramref name="addressB"/> (CIDR form) and brings both ends up.
    /// Returns the interface names inside a and b.
    /// </summary>
    public static async Task<(string InA, string InB)> ConnectAsync(NetworkNamespace a, string addressA, NetworkNamespace b, string addressB)
    {
        var suffix = NetworkNamespace.RandomSuffix();
        string ia = $"va{suffix}", ib = $"vb{suffix}";
        (await ProcessRunner.RunAsync("ip", ["link", "add", ia, "netns", a.Name, "type", "veth", "peer", "name", ib, "netns", b.Name]))
            .EnsureSuccess("ip link add veth");
        await a.ExecAsync("ip", "addr", "add", addressA, "dev", ia);
        await b.ExecAsync("ip", "addr", "add", addressB, "dev", ib);
        await a.ExecAsync("ip", "link", "set", ia, "up");
        await b.ExecAsync("ip", "link", "set", ib, "up");
        return (ia, ib);
    }
}

/// <summary>Preconditions of the namespace lab.</summary>
public static class LabRequirements
{
    /// <summary>Fails the test with a clear message when not running as root (the lab needs it; CI runs as root).</summary>
    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal) && geteuid() != 0)
            throw new InvalidOperationException("this test needs root (network namespaces, wireguard-go): run the tests as root, e.g. sudo bash .ci/test");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();
}
