using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Relaying.Native;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;
using Microsoft.Extensions.Logging;

namespace Difenn.Relay.Relaying;

/// <summary>
/// The relay: one thread (<see cref="RelayLoop"/>) sleeping in <c>epoll_wait</c> over every listener and every
/// session's upstream socket, forwarding client → backend and backend → client. Both directions move datagrams in
/// batches — many per <c>recvmmsg</c>/<c>sendmmsg</c>, equal-sized runs as one UDP GSO send — because on a small
/// machine the per-datagram system call and thread wake-up, not the copying, is what limits a relay.
/// Steady state allocates nothing per datagram: native batch buffers owned by the thread, a reused receive
/// <see cref="SocketAddress"/>, counters in plain fields. Nothing is queued: a batch is sent or dropped at once.
/// </summary>
internal sealed partial class RelayEngine : IAsyncDisposable
{
    /// <summary>Datagrams per system call. 64 keeps a batch of MTU-sized datagrams within one GSO send's limits.</summary>
    internal const int BatchSize = 64;

    /// <summary>How often the relay thread sleeping without traffic checks for a stop (bounds the SIGTERM drain).</summary>
    private static readonly TimeSpan StopCheck = TimeSpan.FromMilliseconds(200);

    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly WireGuardClassifier _classifier;
    private readonly SourceRateLimiter _rateLimiter;
    private readonly SessionAdmission _admission;

    /// <summary>
    /// A confirmed session idle this long may make room for a newcomer in a full table: longer than WireGuard's
    /// PersistentKeepalive (25 s here), so a live tunnel is never pushed out by unknown initiations.
    /// </summary>
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);
    private readonly List<Socket> _listeners = [];
    private readonly List<SessionTable> _tables = [];
    private readonly List<string> _names = [];
    private Task _loop = Task.CompletedTask;
    private readonly SessionSlots _slots = new();
    private Epoll? _epoll;
    private IPEndPoint _backend = null!;
    private ITimer? _sweeper;
    private long _lastResolve;
    private int _resolving;
    private volatile bool _stopping;

    public RelayEngine(RelayOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _log = logger;
        _classifier = new WireGuardClassifier(options.ServerPublicKeys);
        _keysFile = options.ServerPublicKeysFile is { } keysFile ? new ServerKeysFile(keysFile) : null;
        _rateLimiter = new SourceRateLimiter(options.NewSessionsPerSecondPerSource, time);
        _admission = new SessionAdmission(options.MaxUnconfirmedPerSource, options.MaxUnconfirmedPerPrefix);
        Metrics = new RelayMetrics(options.Listen.Select(l => l.ToString()).ToList())
        {
            ActiveSessions = () => ActiveSessions, UnconfirmedSessions = () => _admission.PendingCount,
        };
        ReloadServerKeys(initial: true);
    }

    private readonly ServerKeysFile? _keysFile;
    private string? _lastKeysProblem;
    private int _keysInForce;

    /// <summary>
    /// (Re)reads the server keys file when it changed: its keys and the command line's are put in force at once. A
    /// file that cannot be read or holds a bad key changes nothing (logged once per problem); at start it is fatal, as
    /// the gate must never open for want of keys.
    /// </summary>
    private void ReloadServerKeys(bool initial = false)
    {
        if (_keysFile is null || (!initial && !_keysFile.Changed())) return;
        try
        {
            var (keys, sha) = _keysFile.Read();
            var all = _options.ServerPublicKeys.Concat(keys).ToList();
            _classifier.SetServerKeys(all);
            _keysInForce = all.Count;
            _lastKeysProblem = null;
            Metrics.ServerKeys(all.Count, sha);
            Log.ServerKeysLoaded(_log, _keysFile.Path, all.Count, sha);
        }
        catch (Exception ex) when (!initial && ex is IOException or UnauthorizedAccessException or FormatException)
        {
            if (ex.Message != _lastKeysProblem) Log.ServerKeysProblem(_log, ex.Message, _keysInForce);
            _lastKeysProblem = ex.Message;
        }
    }

    /// <summary>The counters.</summary>
    public RelayMetrics Metrics { get; }

    /// <summary>Sessions currently open, all listeners.</summary>
    public int ActiveSessions => _tables.Sum(t => t.Count);

    /// <summary>The bound listen endpoints (the real ports when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _listeners.Select(s => (IPEndPoint)s.LocalEndPoint!).ToList();

    /// <summary>The backend address in use.</summary>
    public IPEndPoint Backend => Volatile.Read(ref _backend);

    /// <summary>True while the listeners run.</summary>
    public bool IsRunning => _listeners.Count > 0 && !_stopping;

    /// <summary>Resolves the backend and binds every listener; throws <see cref="SocketException"/> (e.g. address in use) before anything runs.</summary>
    public async Task StartAsync()
    {
        _backend = new IPEndPoint(await ResolveAsync(_options.BackendHost), _options.BackendPort);
        _lastResolve = _time.GetTimestamp();
        try
        {
            foreach (var ep in _options.Listen)
            {
                var s = new Socket(ep.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                if (ep.AddressFamily == AddressFamily.InterNetworkV6) s.DualMode = false;
                s.ReceiveBufferSize = 4 * 1024 * 1024; // absorbs bursts; the kernel caps it at rmem_max
                s.SendBufferSize = 4 * 1024 * 1024;
                _listeners.Add(s);
                s.Bind(ep);
                _tables.Add(new SessionTable());
                _names.Add(ep.ToString());
            }
            _epoll = new Epoll(BatchSize);
            for (var i = 0; i < _listeners.Count; i++)
                if (!_epoll.Add(_listeners[i].SafeHandle, ListenerToken(i))) throw new SocketException(Libc.Errno);
        }
        catch
        {
            foreach (var s in _listeners) s.Dispose();
            _listeners.Clear();
            _epoll?.Dispose();
            throw;
        }
        foreach (var s in _listeners)
            Log.Listening(_log, s.LocalEndPoint!.ToString()!, $"{_options.BackendHost}:{_options.BackendPort} ({_backend})");
        RestoreSessions();
        _loop = StartThread("relay", RelayLoop);
        _sweeper = _time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Closes idle sessions now (the timer does it every second); exposed for tests on a fake clock.</summary>
    public void Sweep()
    {
        var now = _time.GetTimestamp();
        for (var i = 0; i < _tables.Count; i++)
            foreach (var s in _tables[i].RemoveIdle(now, _options.IdleTimeout, _time))
            {
                _admission.Forget(s);
                if (s.Close())
                {
                    _slots.Free(s);
                    Metrics.SessionExpired();
                    SessionsChanged();
                    Log.SessionClosed(_log, s.ClientEndPoint(), _names[i], "idle timeout");
                }
            }
        foreach (var s in _admission.Expired(now, _options.UnconfirmedTimeout, _time) ?? [])
        {
            _admission.Forget(s);
            _tables[s.ListenerIndex].Remove(s);
            if (!s.Close()) continue;
            _slots.Free(s);
            Metrics.SessionUnconfirmedExpired();
            SessionsChanged();
            Log.SessionClosed(_log, s.ClientEndPoint(), _names[s.ListenerIndex], "the backend never answered");
        }
        _rateLimiter.Prune();
        SaveSessions(force: false);
        ReloadServerKeys();
        if (!IPAddress.TryParse(_options.BackendHost, out _) && _time.GetElapsedTime(_lastResolve, now) >= _options.ResolveInterval
            && Interlocked.Exchange(ref _resolving, 1) == 0)
        {
            _lastResolve = now;
            _ = ReresolveAsync();
        }
    }

    private async Task ReresolveAsync()
    {
        try
        {
            var address = await ResolveAsync(_options.BackendHost);
            if (address.Equals(Backend.Address)) return;
            var ep = new IPEndPoint(address, _options.BackendPort);
            Volatile.Write(ref _backend, ep);
            var moved = 0;
            foreach (var t in _tables)
                foreach (var s in t.Snapshot())
                {
                    try
                    {
                        // Re-connecting a UDP socket retargets it: the session (and its client) moves with the backend.
                        s.Upstream?.Connect(ep);
                        moved++;
                    }
                    catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                    {
                        Metrics.BackendSendError();
                    }
                }
            Log.BackendMoved(_log, _options.BackendHost, address, moved);
        }
        catch (SocketException ex)
        {
            Log.ResolveFailed(_log, _options.BackendHost, ex.Message, Backend.Address);
        }
        finally
        {
            Volatile.Write(ref _resolving, 0);
        }
    }

    private static async Task<IPAddress> ResolveAsync(string host)
    {
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = await Dns.GetHostAddressesAsync(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new SocketException((int)SocketError.HostNotFound);
    }

    private Session? TryOpen(int index, SocketAddress from, PacketKind kind, ReadOnlySpan<byte> packet)
    {
        if (_classifier.VerifiesMac1)
        {
            // With the server's key, only a genuine initiation may open a session: junk never reaches the backend.
            if (kind != PacketKind.HandshakeInitiation)
            {
                Metrics.Drop(DropReason.NoSession);
                return null;
            }
            if (!_classifier.HasValidMac1(packet))
            {
                Metrics.Drop(DropReason.BadMac1);
                return null;
            }
        }
        if (!_rateLimiter.TryAcquire(from))
        {
            Metrics.Drop(DropReason.RateLimited);
            return null;
        }
        if (!MakeRoom(from, out var source, out var prefix))
        {
            Metrics.Drop(DropReason.SessionCap);
            return null;
        }
        var client = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(client.Buffer.Span);
        if (NewUpstream() is not { } upstream) return null;
        var session = Register(index, client, upstream, _time.GetTimestamp());
        if (session is null) return _tables[index].Find(from);
        session.SourceKey = source;
        session.PrefixKey = prefix;
        _admission.AddPending(session);
        Metrics.SessionOpened();
        Log.SessionOpened(_log, session.ClientEndPoint(), _names[index], upstream.LocalEndPoint!.ToString()!);
        return session;
    }

    /// <summary>
    /// Makes room for a new session of <paramref name="from"/> (see <see cref="SessionAdmission"/>): closes the
    /// oldest unconfirmed session of its source or prefix when that is at its cap, then, when the table is full, the
    /// oldest unconfirmed session of the prefix holding the most, else the longest idle one if it has been idle past <see cref="StaleAfter"/>.
    /// False (the newcomer refused) only when the table is full of sessions in use.
    /// </summary>
    private bool MakeRoom(SocketAddress from, out UInt128 source, out UInt128 prefix)
    {
        (source, prefix) = SessionAdmission.Keys(from);
        while (_admission.OverCapVictim(source, prefix) is { } victim) Evict(victim, "its source or prefix is at its cap of unconfirmed sessions");
        while (ActiveSessions >= _options.MaxSessions)
        {
            if (_admission.PendingToEvict() is { } pending)
            {
                Evict(pending, "table full; the backend never answered it");
                continue;
            }
            var now = _time.GetTimestamp();
            Session? idlest = null;
            foreach (var t in _tables)
                foreach (var s in t.Snapshot())
                    if (idlest is null || s.LastActivity < idlest.LastActivity) idlest = s;
            if (idlest is null || _time.GetElapsedTime(idlest.LastActivity, now) < StaleAfter) return false;
            Evict(idlest, "table full; idle longest");
        }
        return true;
    }

    /// <summary>Closes <paramref name="session"/> to make room for a newcomer.</summary>
    private void Evict(Session session, string reason)
    {
        _admission.Forget(session);
        _tables[session.ListenerIndex].Remove(session);
        if (!session.Close()) return;
        _slots.Free(session);
        Metrics.SessionEvicted();
        SessionsChanged();
        Log.SessionClosed(_log, session.ClientEndPoint(), _names[session.ListenerIndex], "evicted: " + reason);
    }

    /// <summary>
    /// A new upstream socket connected to the backend, on local port <paramref name="localPort"/> when one is given
    /// and free (any port otherwise); null, counted as a backend error, when no socket can be made.
    /// </summary>
    private Socket? NewUpstream(int localPort = 0)
    {
        var backend = Backend;
        Socket? socket = null;
        try
        {
            // Creating the socket can fail too (out of descriptors): that drops this datagram, never the relay thread.
            socket = new Socket(backend.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            if (localPort != 0)
            {
                try
                {
                    socket.Bind(new IPEndPoint(backend.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, localPort));
                }
                catch (SocketException)
                {
                    // Taken meanwhile (another relay's session): a new port still works, the backend roams to it.
                }
            }
            socket.Connect(backend);
            return socket;
        }
        catch (SocketException)
        {
            socket?.Dispose();
            Metrics.BackendSendError();
            return null;
        }
    }

    /// <summary>
    /// Makes a session of <paramref name="client"/> on listener <paramref name="index"/> with its connected
    /// <paramref name="upstream"/> socket: in the table, in a slot, watched by epoll. Null (and the socket closed)
    /// when the client already has a session or the relay is stopping.
    /// </summary>
    private Session? Register(int index, SocketAddress client, Socket upstream, long lastActivity)
    {
        var session = new Session(client, index, upstream, lastActivity);
        if (!_tables[index].TryAdd(session))
        {
            upstream.Dispose();
            return null;
        }
        // Registered after the table: a reply arriving first waits in the socket, and level-triggered epoll reports it.
        _slots.Add(session);
        if (_stopping || !_epoll!.Add(upstream.SafeHandle, (ulong)session.Slot))
        {
            _tables[index].Remove(session);
            if (session.Close()) _slots.Free(session);
            Metrics.BackendSendError();
            return null;
        }
        SessionsChanged();
        return session;
    }

    /// <summary>Stops receiving, closes every session and waits (bounded by <paramref name="timeout"/>) for the loops.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_stopping) return;
        _stopping = true;
        _sweeper?.Dispose();
        SaveSessions(force: true); // before closing them: the next start brings them back
        foreach (var s in _listeners) s.Dispose(); // a call in progress holds a reference: the close waits for it
        var closed = 0;
        foreach (var t in _tables)
            foreach (var s in t.RemoveAll())
                if (s.Close())
                {
                    _slots.Free(s);
                    closed++;
                }
        Log.Stopping(_log, closed);
        await Task.WhenAny(_loop, Task.Delay(timeout));
        // Only once the thread cannot be inside epoll_wait may its descriptor and event memory go.
        if (_loop.IsCompleted) _epoll?.Dispose();
    }

    private static Task StartThread(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true, // never keeps the process alive after Main returns
            Name = name,
        };
        thread.Start();
        return done.Task;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(1));
}
