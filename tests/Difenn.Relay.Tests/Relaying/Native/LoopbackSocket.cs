using System.Net;
using System.Net.Sockets;

namespace Difenn.Relay.Tests.Relaying.Native;

/// <summary>Sockets for the native-call tests.</summary>
internal static class LoopbackSocket
{
    /// <summary>A UDP socket on 127.0.0.1, any port, with a 4 MiB receive buffer so bursts in a test are not dropped.</summary>
    public static Socket Bound()
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.ReceiveBufferSize = 4 * 1024 * 1024;
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return s;
    }
}
