using System.Net;
using Difenn.Operations.Rotation;
using Difenn.Topology.Loading;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Validation;

namespace Difenn.Operations.Peers;

/// <summary>What <c>difenn peer add</c> asks for.</summary>
/// <param name="Name">The peer's name (lowercase letters, digits, dashes).</param>
/// <param name="Kind">Phone, laptop or OpenWrt router.</param>
/// <param name="Address">Its VPN address, or null for the lowest free one.</param>
/// <param name="Keepalive">PersistentKeepalive seconds (default 25: phones and routers sit behind NAT).</param>
/// <param name="EndpointHost">Where it connects, or null for the stack's DNS name.</param>
/// <param name="EndpointPort">Its primary port, or null for the relay's first listen port (the second, if any, is the fallback).</param>
public sealed record PeerAddRequest(string Name, PeerKind Kind, IPAddress? Address = null, int Keepalive = 25, string? EndpointHost = null, int? EndpointPort = null);

/// <summary>The outcome of <see cref="PeerAddition.AddAsync"/>: the stack as now written, the new peer and its key.</summary>
/// <param name="Stack">The stack re-loaded from the written file.</param>
/// <param name="Peer">The new peer.</param>
/// <param name="PrivateKey">Its private key (already kept in the secret store); redacted when printed.</param>
public sealed record PeerAddResult(Stack Stack, PeerSpec Peer, WireGuardPrivateKey PrivateKey);

/// <summary>A stack edit that was refused; <see cref="Exception.Message"/> is one line naming the field, never a secret.</summary>
public sealed class PeerEditException(string message, IReadOnlyList<Diagnostic>? diagnostics = null) : Exception(message)
{
    /// <summary>The validation errors of the edited stack, when that is why it was refused.</summary>
    public IReadOnlyList<Diagnostic> Diagnostics { get; } = diagnostics ?? [];
}

/// <summary>
/// Adds a peer: a new key pair, its private key kept in the secret store (staged, then committed once the stack file
/// is written, as rotation does), and the peer written into the stack file as text at the end of <c>peers:</c>, so
/// comments and layout stay. The edited text is validated by the stack loader before the file is replaced (temp file
/// + rename): a refused edit leaves the file and the store as they were.
/// </summary>
public static class PeerAddition
{
    /// <summary>The secret name of a peer's private key: <c>my-phone</c> → <c>myPhonePrivateKey</c> (as <c>xe300PrivateKey</c>).</summary>
    public static string SecretName(string peerName)
    {
        var parts = peerName.Split('-', StringSplitOptions.RemoveEmptyEntries);
        return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..])) + "PrivateKey";
    }

    /// <summary>Adds the peer; see the class remarks. <paramref name="current"/> is where existing secrets are read (to refuse overwriting one).</summary>
    public static async Task<PeerAddResult> AddAsync(string stackPath, PeerAddRequest request, ISecretStore store, ISecretSource current, CancellationToken ct)
    {
        var text = File.ReadAllText(stackPath);
        var stack = Load(text, stackPath, "the stack file");
        if (!System.Text.RegularExpressions.Regex.IsMatch(request.Name, "^[a-z][a-z0-9-]{0,30}$"))
            throw new PeerEditException($"NAME '{request.Name}' must be lowercase letters, digits and dashes, starting with a letter (at most 31)");
        if (stack.Peers.Any(p => p.Name == request.Name))
            throw new PeerEditException($"{stackPath}: a peer named '{request.Name}' already exists (difenn peer show {request.Name})");
        var secret = SecretName(request.Name);
        if (stack.Server.PrivateKey.Name == secret || stack.Peers.Any(p => p.PrivateKey?.Name == secret || p.PresharedKey?.Name == secret))
            throw new PeerEditException($"{stackPath}: the secret name {secret} is already used in the stack; choose another NAME");
        bool exists;
        try
        {
            exists = current.TryGet(secret, out _);
        }
        catch (InvalidOperationException ex)
        {
            throw new PeerEditException(ex.Message); // e.g. a secret file others can read: said, never repeated
        }
        if (exists)
            throw new PeerEditException($"{current.Description} already hold a secret named {secret}; remove it first or choose another NAME");

        var key = WireGuardPrivateKey.Generate();
        var address = request.Address;
        if (address is null)
        {
            // The loader's own allocator picks the lowest free address; the peer is then written with it explicitly,
            // so removing another peer later never moves this one.
            var trial = Load(StackPeerText.AddPeer(text, Fields(stack, request, key.PublicKey, null, secret)), stackPath, "the new peer");
            address = trial.Peers.Single(p => p.Name == request.Name).Address;
        }
        var edited = StackPeerText.AddPeer(text, Fields(stack, request, key.PublicKey, address, secret));
        Stack result;
        try
        {
            result = Load(edited, stackPath, "the stack with the new peer");
        }
        catch (PeerEditException ex) when (request.Address is not null && ex.Diagnostics.FirstOrDefault()?.Field.EndsWith(".address", StringComparison.Ordinal) == true)
        {
            throw new PeerEditException($"--address {request.Address}: {ex.Diagnostics[0].Message}");
        }
        foreach (var before in stack.Peers)
            if (!result.Peers.Single(p => p.Name == before.Name).Address.Equals(before.Address))
                throw new PeerEditException($"{stackPath}: adding {request.Name} would move {before.Name}'s address; give it an explicit address first");

        await store.StageAsync(secret, key.RevealBase64(), ct);
        try
        {
            StackFileWrite.Replace(stackPath, text, edited);
        }
        catch
        {
            await store.DiscardAsync(secret, ct);
            throw;
        }
        await store.CommitAsync(secret, ct);
        return new PeerAddResult(result, result.Peers.Single(p => p.Name == request.Name), key);
    }

    /// <summary>The peer's YAML lines (block style, one key a line).</summary>
    private static List<string> Fields(Stack stack, PeerAddRequest request, WireGuardPublicKey publicKey, IPAddress? address, string secret)
    {
        var listen = stack.Hub.Relay.Listen;
        var port = request.EndpointPort ?? listen[0].Port;
        var fallback = listen.Select(l => l.Port).FirstOrDefault(p => p != port);
        var lines = new List<string> { $"name: {request.Name}".PadRight(28) + $"# {request.Kind.ToString().ToLowerInvariant()}, added by difenn peer add" };
        if (address is not null) lines.Add($"address: {address}");
        lines.Add($"publicKey: {publicKey}");
        if (request.Keepalive > 0) lines.Add($"keepalive: {request.Keepalive}");
        lines.Add("endpoint:");
        lines.Add($"  host: {request.EndpointHost ?? stack.Dns.Name}");
        lines.Add($"  port: {port}");
        if (fallback != 0) lines.Add($"  fallbackPort: {fallback}");
        lines.Add("secrets:");
        lines.Add($"  privateKey: {secret}");
        if (request.Kind == PeerKind.OpenWrt)
        {
            lines.Add("openwrt:");
            lines.Add("  interface: wg_difenn");
            lines.Add("  ssh:");
            lines.Add($"    host: {address?.ToString() ?? "0.0.0.0"}".PadRight(28) + "# only reachable through the tunnel");
            lines.Add("    user: root");
        }
        return lines;
    }

    internal static Stack Load(string text, string path, string what)
    {
        var load = StackLoader.LoadFromString(text, path);
        if (load.Stack is not null) return load.Stack;
        var errors = load.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        // Line numbers are those of the edited text, which was not written.
        throw new PeerEditException($"{what} would not validate (nothing was written): {errors.FirstOrDefault()?.ToString() ?? "unknown error"}", errors);
    }
}
