using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;

namespace Difenn.WireGuard.Config;

/// <summary>
/// A wg-quick configuration file: one <c>[Interface]</c> and its <c>[Peer]</c>s. Comments other than a peer's
/// <see cref="PeerSection.Comment"/> are not kept (the file is rendered from this model, and the model is the
/// source of truth); unknown keys are rejected by <see cref="WgQuickParser"/>, as <c>wg setconf</c> rejects them.
/// </summary>
/// <param name="Interface">The <c>[Interface]</c> section.</param>
/// <param name="Peers">The <c>[Peer]</c> sections in file order.</param>
public sealed record WgQuickConfig(InterfaceSection Interface, IReadOnlyList<PeerSection> Peers);

/// <summary>The <c>[Interface]</c> section. Null or empty members are absent from the file.</summary>
public sealed record InterfaceSection
{
    /// <summary><c>PrivateKey</c> (secret).</summary>
    public WireGuardPrivateKey? PrivateKey { get; init; }

    /// <summary><c>ListenPort</c>; absent means a random port.</summary>
    public int? ListenPort { get; init; }

    /// <summary><c>FwMark</c> as written (a number, hex number or <c>off</c>).</summary>
    public string? FwMark { get; init; }

    /// <summary><c>Address</c> (wg-quick only), one or more.</summary>
    public IReadOnlyList<IpPrefix> Addresses { get; init; } = [];

    /// <summary><c>DNS</c> (wg-quick only): servers and search domains as written.</summary>
    public IReadOnlyList<string> Dns { get; init; } = [];

    /// <summary><c>MTU</c> (wg-quick only).</summary>
    public int? Mtu { get; init; }

    /// <summary><c>Table</c> (wg-quick only): a number, <c>off</c> or <c>auto</c>.</summary>
    public string? Table { get; init; }

    /// <summary><c>PreUp</c> commands (wg-quick only), in order.</summary>
    public IReadOnlyList<string> PreUp { get; init; } = [];

    /// <summary><c>PostUp</c> commands (wg-quick only), in order.</summary>
    public IReadOnlyList<string> PostUp { get; init; } = [];

    /// <summary><c>PreDown</c> commands (wg-quick only), in order.</summary>
    public IReadOnlyList<string> PreDown { get; init; } = [];

    /// <summary><c>PostDown</c> commands (wg-quick only), in order.</summary>
    public IReadOnlyList<string> PostDown { get; init; } = [];

    /// <summary><c>SaveConfig</c> (wg-quick only).</summary>
    public bool? SaveConfig { get; init; }
}

/// <summary>A <c>[Peer]</c> section.</summary>
public sealed record PeerSection
{
    /// <summary><c>PublicKey</c> (required).</summary>
    public required WireGuardPublicKey PublicKey { get; init; }

    /// <summary><c>PresharedKey</c> (secret), optional.</summary>
    public WireGuardPresharedKey? PresharedKey { get; init; }

    /// <summary><c>AllowedIPs</c>.</summary>
    public IReadOnlyList<IpPrefix> AllowedIPs { get; init; } = [];

    /// <summary><c>Endpoint</c>, optional (a server usually learns it from the peer).</summary>
    public Endpoint? Endpoint { get; init; }

    /// <summary><c>PersistentKeepalive</c> in seconds; null or 0 means off.</summary>
    public int? PersistentKeepalive { get; init; }

    /// <summary>
    /// A human label written as a <c># comment</c> line right after <c>[Peer]</c> (e.g. "XE300"), and read back
    /// from there. Any other comment in a file is dropped on rewrite.
    /// </summary>
    public string? Comment { get; init; }
}
