namespace Difenn.Topology.Desired;

/// <summary>What an OpenWrt peer's rollback timer leaves behind for the CLI to read.</summary>
public static class OpenWrtRollback
{
    /// <summary>
    /// The timer's decision: <c>kept EPOCH</c> (a handshake came: the new config stays) or <c>rolled back EPOCH</c>;
    /// absent while it is pending. A rotation asks the router for it, through the tunnel, before touching the server.
    /// </summary>
    public const string DecisionFile = "/etc/difenn/rollback.result";
}
