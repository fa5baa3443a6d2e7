using System.Net;
using System.Net.Sockets;

namespace Difenn.Testing.Network;

/// <summary>
/// Ports free at the moment of asking, for a test that must name a port before something binds it (a process's
/// argument, a port that must stay the same across a restart). The kernel picks them; there is a small window
/// before the caller binds, which these loopback tests accept.
/// </summary>
public static class FreePorts
{
    /// <summary>A free UDP port on <paramref name="address"/> (default 127.0.0.1).</summary>
    public static int Udp(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        using var s = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(address, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>A free TCP port on 127.0.0.1.</summary>
    public static int Tcp()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }
}
