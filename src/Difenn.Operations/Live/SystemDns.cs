using System.Net;

namespace Difenn.Operations.Live;

/// <summary>The machine's resolver, the default every check that reads the DNS record uses (tests pass their own).</summary>
public static class SystemDns
{
    /// <summary>Resolves a name with <see cref="Dns.GetHostAddressesAsync(string, CancellationToken)"/>.</summary>
    public static readonly Func<string, CancellationToken, Task<IPAddress[]>> Resolve = (name, ct) => Dns.GetHostAddressesAsync(name, ct);
}
