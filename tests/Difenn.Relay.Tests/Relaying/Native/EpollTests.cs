using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Relaying.Native;
using static Difenn.Relay.Tests.Relaying.Native.LoopbackSocket;

namespace Difenn.Relay.Tests.Relaying.Native;

public class EpollTests
{
    [Fact]
    public void Wait_ReportsTheTokenOfTheReadySocketOnlyUntilDrained()
    {
        using var epoll = new Epoll(8);
        using var a = Bound();
        using var b = Bound();
        Assert.True(epoll.Add(a.SafeHandle, 7));
        Assert.True(epoll.Add(b.SafeHandle, 1UL << 40));
        Assert.Equal(0, epoll.Wait(0));

        b.SendTo(new byte[10], b.LocalEndPoint!);
        Assert.Equal(1, epoll.Wait(1000));
        Assert.Equal(1UL << 40, epoll.Token(0));
        Assert.Equal(1, epoll.Wait(0)); // level-triggered: still reported while data waits
        b.Receive(new byte[64]);
        Assert.Equal(0, epoll.Wait(0));
    }

    [Fact]
    public void Add_ClosedSocket_False_AndAClosedSocketLeavesTheSet()
    {
        using var epoll = new Epoll(8);
        var a = Bound();
        Assert.True(epoll.Add(a.SafeHandle, 1));
        a.SendTo(new byte[10], a.LocalEndPoint!);
        a.Dispose();
        Assert.Equal(0, epoll.Wait(0));
        Assert.False(epoll.Add(a.SafeHandle, 2));
    }
}
