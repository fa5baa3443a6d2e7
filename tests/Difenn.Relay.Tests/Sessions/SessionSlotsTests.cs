using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Sessions;

namespace Difenn.Relay.Tests.Sessions;

public class SessionSlotsTests
{
    private static Session NewSession(int port) =>
        new(new IPEndPoint(IPAddress.Loopback, port).Serialize(), 0, null, 0);

    [Fact]
    public void Add_ManySessions_EachFoundByItsSlotBeyondTheInitialCapacity()
    {
        var slots = new SessionSlots();
        var sessions = Enumerable.Range(1, 300).Select(NewSession).ToList();
        sessions.ForEach(slots.Add);

        Assert.Equal(300, sessions.Select(s => s.Slot).Distinct().Count());
        Assert.All(sessions, s => Assert.Same(s, slots.Get((ulong)s.Slot)));
        Assert.Null(slots.Get(100_000));
    }

    [Fact]
    public void Free_SlotEmptyThenReused_FreeingTwiceOrAStaleSessionIsHarmless()
    {
        var slots = new SessionSlots();
        var a = NewSession(1);
        var b = NewSession(2);
        slots.Add(a);
        slots.Add(b);
        slots.Free(a);
        Assert.Null(slots.Get((ulong)a.Slot));

        var c = NewSession(3);
        slots.Add(c);
        Assert.Equal(a.Slot, c.Slot); // reused
        slots.Free(a);                // a stale free must not evict c
        Assert.Same(c, slots.Get((ulong)c.Slot));
        Assert.Same(b, slots.Get((ulong)b.Slot));
    }
}
