using System.Net;
using System.Net.Sockets;

namespace Difenn.Relay.Tests.Relaying;

/// <summary>A UDP backend on loopback that echoes every datagram and records who sent it.</summary>
internal sealed class EchoBackend : IDisposable
{
    private readonly Socket _socket;
    private readonly Task _loop;

    public EchoBackend(int port = 0)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.ReceiveBufferSize = 4 * 1024 * 1024;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        _loop = Task.Run(Loop);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public List<string> Sources { get; } = [];

    public bool Record { get; set; } = true;

    /// <summary>Receives without answering: a backend that rejects every initiation (forged ones, in a flood).</summary>
    public volatile bool Silent;

    public int Received;

    private async Task Loop()
    {
        var buffer = new byte[65536];
        var from = new SocketAddress(AddressFamily.InterNetwork);
        while (true)
        {
            int n;
            try
            {
                n = await _socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                if (ex is ObjectDisposedException || !_socket.IsBound) return;
                continue;
            }
            Interlocked.Increment(ref Received);
            if (Record)
            {
                var ep = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
                lock (Sources) Sources.Add(ep.ToString());
            }
            if (Silent) continue;
            try
            {
                await _socket.SendToAsync(buffer.AsMemory(0, n), SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>Sends from the backend's own socket, as a server's keepalive or handshake would, unprompted.</summary>
    public void SendTo(byte[] data, IPEndPoint to) => _socket.SendTo(data, to);

    public void Dispose()
    {
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(2));
    }
}

/// <summary>A client socket on loopback (127.0.0.1 unless another address is given, e.g. ::1).</summary>
internal sealed class UdpClientSocket : IDisposable
{
    public UdpClientSocket(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        Socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        Socket.Bind(new IPEndPoint(address, 0));
    }

    public Socket Socket { get; }

    public IPEndPoint EndPoint => (IPEndPoint)Socket.LocalEndPoint!;

    public void Send(byte[] data, IPEndPoint to) => Socket.SendTo(data, to);

    /// <summary>Receives one datagram within <paramref name="timeout"/>; returns it and its source, or null.</summary>
    public (byte[] Data, IPEndPoint From)? Receive(TimeSpan timeout)
    {
        Socket.ReceiveTimeout = (int)timeout.TotalMilliseconds;
        var buffer = new byte[65536];
        EndPoint from = new IPEndPoint(Socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        try
        {
            var n = Socket.ReceiveFrom(buffer, ref from);
            return (buffer[..n], (IPEndPoint)from);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    public void Dispose() => Socket.Dispose();
}

internal static class Packets
{
    /// <summary>A transport-data-shaped datagram (type 4) carrying a sequence number.</summary>
    public static byte[] Transport(int seq, int size = 64)
    {
        var b = new byte[size];
        b[0] = 4;
        BitConverter.TryWriteBytes(b.AsSpan(8), seq);
        return b;
    }

    public static int Seq(byte[] b) => BitConverter.ToInt32(b, 8);
}
