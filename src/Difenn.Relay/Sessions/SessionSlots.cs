namespace Difenn.Relay.Sessions;

/// <summary>
/// Numbers the open sessions with small integers, reused after close, so the relay thread's epoll events can carry
/// a session's number and the thread finds the session without a lookup structure or a lock. A stale event (for a
/// session closed after epoll reported it) finds either nothing or the slot's new session; reading that session's
/// own socket is harmless, so no datagram can reach the wrong client.
/// </summary>
internal sealed class SessionSlots
{
    private readonly Lock _lock = new();
    private readonly Stack<int> _free = new();
    private Session?[] _sessions = new Session?[64];
    private int _used;

    /// <summary>Gives <paramref name="session"/> a slot (sets <see cref="Session.Slot"/>).</summary>
    public void Add(Session session)
    {
        lock (_lock)
        {
            if (!_free.TryPop(out var slot))
            {
                if (_used == _sessions.Length)
                {
                    var grown = new Session?[_sessions.Length * 2];
                    Array.Copy(_sessions, grown, _sessions.Length);
                    Volatile.Write(ref _sessions, grown);
                }
                slot = _used++;
            }
            session.Slot = slot;
            Volatile.Write(ref _sessions[slot], session);
        }
    }

    /// <summary>Releases the slot of <paramref name="session"/>; idempotent.</summary>
    public void Free(Session session)
    {
        lock (_lock)
        {
            var slot = session.Slot;
            if (slot < 0 || slot >= _used || _sessions[slot] != session) return;
            Volatile.Write(ref _sessions[slot], null);
            _free.Push(slot);
        }
    }

    /// <summary>The session in <paramref name="slot"/>, or null. Lock-free: called by the relay thread per event.</summary>
    public Session? Get(ulong slot)
    {
        var sessions = Volatile.Read(ref _sessions);
        return slot < (ulong)sessions.Length ? Volatile.Read(ref sessions[slot]) : null;
    }
}
