using System.Net;

namespace Difenn.Relay.Sessions;

/// <summary>
/// The sessions of one listener, keyed by client address. <see cref="SocketAddress"/> compares and hashes by
/// content, so the receive loop looks up with its reused receive address without allocating. Thread-safe: the
/// receive loop adds and reads, the sweeper removes.
/// </summary>
internal sealed class SessionTable
{
    private readonly Dictionary<SocketAddress, Session> _sessions = [];
    private readonly Lock _lock = new();
    private static readonly List<Session> NoSessions = [];

    /// <summary>Number of sessions.</summary>
    public int Count
    {
        get { lock (_lock) return _sessions.Count; }
    }

    /// <summary>Finds the session of <paramref name="client"/> (any instance with the same content).</summary>
    public Session? Find(SocketAddress client)
    {
        lock (_lock) return _sessions.GetValueOrDefault(client);
    }

    /// <summary>Adds a session; false when its client already has one.</summary>
    public bool TryAdd(Session session)
    {
        lock (_lock) return _sessions.TryAdd(session.Client, session);
    }

    /// <summary>Removes <paramref name="session"/> if it is the one registered for its client.</summary>
    public bool Remove(Session session)
    {
        lock (_lock) return _sessions.TryGetValue(session.Client, out var s) && s == session && _sessions.Remove(session.Client);
    }

    /// <summary>Removes and returns the sessions idle for longer than <paramref name="idle"/> at <paramref name="now"/>.</summary>
    public IReadOnlyList<Session> RemoveIdle(long now, TimeSpan idle, TimeProvider time)
    {
        List<Session>? expired = null; // allocated only when something expires: the sweeper runs every second
        lock (_lock)
        {
            foreach (var s in _sessions.Values)
                if (time.GetElapsedTime(s.LastActivity, now) > idle) (expired ??= []).Add(s);
            if (expired is null) return NoSessions;
            foreach (var s in expired) _sessions.Remove(s.Client);
        }
        return expired;
    }

    /// <summary>Removes and returns every session (shutdown).</summary>
    public List<Session> RemoveAll()
    {
        lock (_lock)
        {
            var all = _sessions.Values.ToList();
            _sessions.Clear();
            return all;
        }
    }

    /// <summary>A snapshot of the sessions.</summary>
    public List<Session> Snapshot()
    {
        lock (_lock) return [.. _sessions.Values];
    }
}
