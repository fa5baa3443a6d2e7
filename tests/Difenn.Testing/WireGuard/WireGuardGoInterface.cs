using Difenn.Testing.Network;
using Difenn.Testing.Processes;

namespace Difenn.Testing.WireGuard;

/// <summary>
/// A real userspace WireGuard interface (<c>wireguard-go</c>) inside a test namespace, configured with the real
/// <c>wg</c> tool. Its UAPI socket is <c>/var/run/wireguard/&lt;name&gt;.sock</c>, so names are unique per test.
/// </summary>
public sealed class WireGuardGoInterface
{
    private WireGuardGoInterface(NetworkNamespace ns, string name)
    {
        Namespace = ns;
        Name = name;
    }

    /// <summary>The namespace the interface lives in.</summary>
    public NetworkNamespace Namespace { get; }

    /// <summary>Interface name, e.g. <c>wg1a2b3c</c>.</summary>
    public string Name { get; }

    /// <summary>Starts wireguard-go for a new interface in <paramref name="ns"/> and waits until <c>wg</c> sees it.</summary>
    public static async Task<WireGuardGoInterface> StartAsync(NetworkNamespace ns, string? name = null)
    {
        name ??= "wg" + NetworkNamespace.RandomSuffix();
        // wireguard-go daemonizes itself; it exits when the interface is deleted or the namespace goes away.
        (await ns.RunAsync("wireguard-go", [name], environment: new Dictionary<string, string> { ["WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD"] = "1" }))
            .EnsureSuccess($"wireguard-go {name}");
        var iface = new WireGuardGoInterface(ns, name);
        for (var i = 0; i < 50; i++)
        {
            if ((await ns.RunAsync("wg", ["show", name])).ExitCode == 0) return iface;
            await Task.Delay(100);
        }
        throw new TimeoutException($"wireguard-go interface {name} did not come up");
    }

    /// <summary>Applies a config in <c>wg setconf</c> form (given on stdin through a 0600 temp file).</summary>
    public async Task SetConfAsync(string strippedConfig)
    {
        var path = SecretTempFile.Write(strippedConfig);
        try
        {
            await Namespace.ExecAsync("wg", "setconf", Name, path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Adds an address and brings the interface up.</summary>
    public async Task UpAsync(string address)
    {
        await Namespace.ExecAsync("ip", "addr", "add", address, "dev", Name);
        await Namespace.ExecAsync("ip", "link", "set", Name, "up");
    }

    /// <summary>Runs <c>wg show &lt;name&gt; dump</c>.</summary>
    public Task<string> DumpAsync() => Namespace.ExecAsync("wg", "show", Name, "dump");
}

/// <summary>Temporary files created 0600, for key material in tests.</summary>
public static class SecretTempFile
{
    /// <summary>Writes <paramref name="content"/> to a new 0600 file in the temp directory and returns its path.</summary>
    public static string Write(string content, string? fileName = null)
    {
        var dir = Directory.CreateTempSubdirectory("dfn-");
        var path = Path.Combine(dir.FullName, fileName ?? "secret");
        using (var fs = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var w = new StreamWriter(fs))
            w.Write(content);
        return path;
    }
}
