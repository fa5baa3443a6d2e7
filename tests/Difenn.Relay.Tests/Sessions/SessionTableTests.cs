using System.Net;
using Difenn.Relay.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace Difenn.Relay.Tests.Sessions;

public class SessionTableTests
{
    private static SocketAddress Addr(string ep) => IPEndPoint.Parse(ep).Serialize();

    [Fact]
    public void Find_EqualContentAddress_FindsSession()
    {
        var table = new SessionTable();
        var time = new FakeTimeProvider();
        Assert.True(table.TryAdd(new Session(Addr("192.0.2.1:1000"), 0, null, time.GetTimestamp())));
        Assert.NotNull(table.Find(Addr("192.0.2.1:1000")));
        Assert.Null(table.Find(Addr("192.0.2.1:1001")));
        Assert.False(table.TryAdd(new Session(Addr("192.0.2.1:1000"), 0, null, time.GetTimestamp())));
    }

    [Fact]
    public void RemoveIdle_AfterTimeout_RemovesOnlyIdleSessions()
    {
        var time = new FakeTimeProvider();
        var table = new SessionTable();
        var idle = new Session(Addr("192.0.2.1:1000"), 0, null, time.GetTimestamp());
        var busy = new Session(Addr("192.0.2.2:1000"), 0, null, time.GetTimestamp());
        table.TryAdd(idle);
        table.TryAdd(busy);
        time.Advance(TimeSpan.FromSeconds(170));
        busy.Touch(time.GetTimestamp());
        Assert.Empty(table.RemoveIdle(time.GetTimestamp(), TimeSpan.FromSeconds(180), time));
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Same(idle, Assert.Single(table.RemoveIdle(time.GetTimestamp(), TimeSpan.FromSeconds(180), time)));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void TryAcquire_BurstThenRefillPerSource()
    {
        var time = new FakeTimeProvider();
        var limiter = new SourceRateLimiter(3, time);
        for (var i = 0; i < 3; i++) Assert.True(limiter.TryAcquire(Addr($"192.0.2.1:{1000 + i}")));
        Assert.False(limiter.TryAcquire(Addr("192.0.2.1:2000"))); // same address, other port: same bucket
        Assert.True(limiter.TryAcquire(Addr("192.0.2.2:1000")));   // another address: its own bucket
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(Addr("192.0.2.1:2000")));
        time.Advance(TimeSpan.FromSeconds(10));
        limiter.Prune();
        Assert.Equal(0, limiter.Count);
    }

    [Fact]
    public void TryAcquire_Ipv6SourcesSeparate()
    {
        var limiter = new SourceRateLimiter(1, new FakeTimeProvider());
        Assert.True(limiter.TryAcquire(Addr("[2001:db8::1]:5")));
        Assert.False(limiter.TryAcquire(Addr("[2001:db8::1]:6")));
        Assert.True(limiter.TryAcquire(Addr("[2001:db8::2]:5")));
    }

    [Fact]
    public void TryAcquire_SpoofedSourcesWithoutEnd_MapStaysBounded()
    {
        var limiter = new SourceRateLimiter(20, new FakeTimeProvider());
        var address = new IPEndPoint(IPAddress.Any, 1).Serialize();
        for (uint i = 0; i < 3 * SourceRateLimiter.MaxTracked; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(address.Buffer.Span.Slice(4, 4), 0x0A000000 + i);
            Assert.True(limiter.TryAcquire(address));
        }
        Assert.InRange(limiter.Count, 1, SourceRateLimiter.MaxTracked);
    }
}
