namespace Difenn.Relay.Relaying.Native;

/// <summary>What became of the datagrams handed to one <see cref="DatagramSender.Send"/>.</summary>
internal struct SendOutcome
{
    /// <summary>Datagrams the kernel accepted.</summary>
    public int Sent;

    /// <summary>Payload bytes of those datagrams.</summary>
    public long Bytes;

    /// <summary>Times the socket reported ECONNREFUSED: an ICMP port unreachable answered an earlier datagram.</summary>
    public int Refused;

    /// <summary>Datagrams dropped because sending failed.</summary>
    public int Failed;
}
