using System.Net.Sockets;

namespace Difenn.Relay.Relaying.Native;

/// <summary>Socket settings .NET does not expose in the form the relay's receive threads need.</summary>
internal static unsafe class SocketTuning
{
    /// <summary>
    /// Puts <paramref name="socket"/> in blocking mode with a receive timeout, so a thread can sleep in
    /// <c>recvmmsg</c> until datagrams arrive (no polling, no wake-up per datagram) yet still notice a stop within
    /// <paramref name="receiveTimeout"/>. The socket must not be used with .NET's own send/receive methods after this.
    /// </summary>
    public static void BlockWithReceiveTimeout(Socket socket, TimeSpan receiveTimeout)
    {
        var fd = (int)socket.SafeHandle.DangerousGetHandle();
        var flags = Libc.fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl(fd, Libc.F_SETFL, flags & ~Libc.O_NONBLOCK) < 0) throw new SocketException(Libc.Errno);
        var micros = (long)(receiveTimeout.TotalMilliseconds * 1000);
        var tv = stackalloc long[2]; // struct timeval { time_t tv_sec; suseconds_t tv_usec; } on 64-bit Linux
        tv[0] = micros / 1_000_000;
        tv[1] = micros % 1_000_000;
        if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, tv, 16) < 0) throw new SocketException(Libc.Errno);
    }
}
