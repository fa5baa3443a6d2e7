namespace Difenn.Operations.Peers;

/// <summary>What kind of device a new peer is.</summary>
public enum PeerKind
{
    /// <summary>A phone: a client the project does not reach; its config is imported from a file or QR code.</summary>
    Phone,

    /// <summary>A laptop: like a phone, a client the project does not reach.</summary>
    Laptop,

    /// <summary>Another OpenWrt router, managed like the XE300 (uci over SSH through the tunnel, rollback timer).</summary>
    OpenWrt,
}
