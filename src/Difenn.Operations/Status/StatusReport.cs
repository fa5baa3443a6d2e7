namespace Difenn.Operations.Status;

/// <summary>What <c>difenn status</c> shows: the whole topology at a glance, read live. No secret in it.</summary>
/// <param name="Stack">The stack's name.</param>
/// <param name="ReadAt">When the hosts were read (handshake ages are relative to it).</param>
/// <param name="Hosts">Each host read, and whether it could be.</param>
/// <param name="Dns">The DNS record's answer.</param>
/// <param name="Relay">Each relay listener, from its metrics.</param>
/// <param name="Peers">Each peer of the stack, as the server sees it.</param>
/// <param name="UnknownPeers">Public keys on the live server that the stack does not declare.</param>
public sealed record StatusReport(string Stack, DateTimeOffset ReadAt, IReadOnlyList<HostStatus> Hosts, DnsStatus Dns,
    IReadOnlyList<RelayListenerStatus> Relay, IReadOnlyList<PeerStatus> Peers, IReadOnlyList<string> UnknownPeers)
{
    /// <summary>True when every host could be read.</summary>
    public bool AllRead => Hosts.All(h => h.Reachable);
}

/// <summary>A host read (or not).</summary>
/// <param name="Name">Host name (<c>hub2</c>, <c>ct2914</c>).</param>
/// <param name="Role"><c>hub</c> or <c>server</c>.</param>
/// <param name="Reachable">Whether its probe ran.</param>
/// <param name="Error">Why not, when it did not.</param>
public sealed record HostStatus(string Name, string Role, bool Reachable, string? Error);

/// <summary>The DNS record as the resolver answers it.</summary>
/// <param name="Name">The record name.</param>
/// <param name="Expected">The address it must hold (the hub's public IP).</param>
/// <param name="Answer">The IPv4 addresses it resolves to.</param>
/// <param name="Error">The resolver's error, if any.</param>
public sealed record DnsStatus(string Name, string Expected, IReadOnlyList<string> Answer, string? Error)
{
    /// <summary>True when the answer is exactly the expected address.</summary>
    public bool Ok => Error is null && Answer.Count == 1 && Answer[0] == Expected;
}

/// <summary>One relay listener, from its Prometheus metrics (read on the hub over the same SSH).</summary>
/// <param name="Port">The public UDP port.</param>
/// <param name="Role"><c>primary</c> (the peers' port) or <c>fallback</c> (their fallbackPort).</param>
/// <param name="MetricsRead">Whether its metrics endpoint answered.</param>
/// <param name="ActiveSessions">Sessions open now.</param>
/// <param name="Drops">Datagrams dropped since the relay started, by reason (only reasons with drops).</param>
/// <param name="BackendErrors">Errors talking to the server, by kind (only kinds with errors).</param>
public sealed record RelayListenerStatus(int Port, string Role, bool MetricsRead, long? ActiveSessions,
    IReadOnlyDictionary<string, long> Drops, IReadOnlyDictionary<string, long> BackendErrors);

/// <summary>One peer as the server sees it.</summary>
/// <param name="Name">The peer's name in the stack.</param>
/// <param name="Address">Its VPN address.</param>
/// <param name="PublicKey">Its public key.</param>
/// <param name="OnServer">Whether the live server has it (false: not applied yet, or the server was not read).</param>
/// <param name="LatestHandshake">Its latest handshake, or null for none.</param>
/// <param name="HandshakeAgeSeconds">Seconds since it, at <see cref="StatusReport.ReadAt"/>.</param>
/// <param name="Endpoint">Where the server sees it (the relay's side for a peer that comes through the relay).</param>
/// <param name="RelayPort">The relay port it came through, when the hub's sockets say so.</param>
/// <param name="RelayPortRole"><c>primary</c> or <c>fallback</c> for <see cref="RelayPort"/>.</param>
/// <param name="ReceivedBytes">Bytes the server received from it.</param>
/// <param name="SentBytes">Bytes the server sent to it.</param>
/// <param name="Keepalive">The live keepalive on the server's side (seconds), or null when off.</param>
public sealed record PeerStatus(string Name, string Address, string PublicKey, bool OnServer, DateTimeOffset? LatestHandshake, long? HandshakeAgeSeconds,
    string? Endpoint, int? RelayPort, string? RelayPortRole, long ReceivedBytes, long SentBytes, int? Keepalive);
