using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Sessions;
using Difenn.Relay.WireGuard;
using Microsoft.Extensions.Logging;

namespace Difenn.Relay.Relaying;

/// <summary>
/// The relay: one receive loop per listener (client → backend) and one per session (backend → client).
/// Steady state allocates nothing per datagram: pooled buffers, a reused receive <see cref="SocketAddress"/>,
/// ValueTask socket calls, counters in plain fields. Nothing is queued: a datagram is sent or dropped at once.
/// </summary>
internal sealed class RelayEngine : IAsyncDisposable
{
    private readonly RelayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly WireGuardClassifier _classifier;
    private readonly SourceRateLimiter _rateLimiter;
    private readonly List<Socket> _listeners = [];
    private readonly List<SessionTable> _tables = [];
    private readonly List<string> _names = [];
    private readonly List<Task> _loops = [];
    private readonly Lock _sessionTasksLock = new();
    private readonly HashSet<Task> _sessionTasks = [];
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
        _rateLimiter = new SourceRateLimiter(options.NewSessionsPerSecondPerSource, time);
        Metrics = new RelayMetrics(options.Listen.Select(l => l.ToString()).ToList()) { ActiveSessions = () => ActiveSessions };
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
        }
        catch
        {
            foreach (var s in _listeners) s.Dispose();
            _listeners.Clear();
            throw;
        }
        for (var i = 0; i < _listeners.Count; i++)
        {
            var index = i;
            Log.Listening(_log, _listeners[i].LocalEndPoint!.ToString()!, $"{_options.BackendHost}:{_options.BackendPort} ({_backend})");
            _loops.Add(Task.Factory.StartNew(() => ListenLoop(index), TaskCreationOptions.LongRunning).Unwrap());
        }
        _sweeper = _time.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Closes idle sessions now (the timer does it every second); exposed for tests on a fake clock.</summary>
    public void Sweep()
    {
        var now = _time.GetTimestamp();
        for (var i = 0; i < _tables.Count; i++)
            foreach (var s in _tables[i].RemoveIdle(now, _options.IdleTimeout, _time))
            {
                if (s.Close())
                {
                    Metrics.SessionExpired();
                    Log.SessionClosed(_log, s.ClientEndPoint(), _names[i], "idle timeout");
                }
            }
        _rateLimiter.Prune();
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

    private async Task ListenLoop(int index)
    {
        var socket = _listeners[index];
        var table = _tables[index];
        var buffer = GC.AllocateUninitializedArray<byte>(_options.BufferSize, pinned: true);
        var from = new SocketAddress(socket.AddressFamily);
        while (!_stopping)
        {
            int n;
            try
            {
                n = await socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, from);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (!_stopping)
            {
                continue; // e.g. an ICMP error reported on the listening socket: never fatal
            }
            catch (SocketException)
            {
                break;
            }
            var packet = buffer.AsMemory(0, n);
            var kind = PacketKind.TransportData;
            if (_options.WireGuardOnly)
            {
                kind = WireGuardClassifier.Classify(packet.Span);
                if (kind == PacketKind.Invalid)
                {
                    Metrics.Drop(DropReason.NotWireGuard);
                    continue;
                }
            }
            var session = table.Find(from);
            if (session is null)
            {
                session = TryOpen(index, from, kind, packet.Span);
                if (session is null) continue;
            }
            session.Touch(_time.GetTimestamp());
            try
            {
                await session.Upstream!.SendAsync(packet, SocketFlags.None);
                Metrics.ClientToBackend(index, n);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
            {
                Metrics.BackendUnreachable(); // ICMP port unreachable from an earlier datagram: keep the session
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                Metrics.BackendSendError();
            }
        }
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
        if (ActiveSessions >= _options.MaxSessions)
        {
            Metrics.Drop(DropReason.SessionCap);
            return null;
        }
        if (!_rateLimiter.TryAcquire(from))
        {
            Metrics.Drop(DropReason.RateLimited);
            return null;
        }
        var client = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(client.Buffer.Span);
        var backend = Backend;
        var upstream = new Socket(backend.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            upstream.Connect(backend);
        }
        catch (SocketException)
        {
            upstream.Dispose();
            Metrics.BackendSendError();
            return null;
        }
        var session = new Session(client, index, upstream, _time.GetTimestamp());
        if (!_tables[index].TryAdd(session))
        {
            upstream.Dispose();
            return _tables[index].Find(from);
        }
        Metrics.SessionOpened();
        Log.SessionOpened(_log, session.ClientEndPoint(), _names[index], upstream.LocalEndPoint!.ToString()!);
        var task = Task.Run(() => ReplyLoop(session));
        lock (_sessionTasksLock) _sessionTasks.Add(task);
        _ = task.ContinueWith(t => { lock (_sessionTasksLock) _sessionTasks.Remove(t); }, TaskScheduler.Default);
        return session;
    }

    private async Task ReplyLoop(Session session)
    {
        var listener = _listeners[session.ListenerIndex];
        var upstream = session.Upstream!;
        var buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            while (!session.IsClosed)
            {
                int n;
                try
                {
                    n = await upstream.ReceiveAsync(buffer.AsMemory(), SocketFlags.None); // Memory overload: ValueTask, no allocation
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused && !session.IsClosed)
                {
                    Metrics.BackendUnreachable(); // backend down: the session lives on and recovers when it is back
                    continue;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    break; // closed by the sweeper or at shutdown
                }
                var packet = buffer.AsMemory(0, n);
                if (_options.WireGuardOnly && WireGuardClassifier.Classify(packet.Span) == PacketKind.Invalid)
                {
                    Metrics.Drop(DropReason.ReplyNotWireGuard);
                    continue;
                }
                session.Touch(_time.GetTimestamp());
                try
                {
                    await listener.SendToAsync(packet, SocketFlags.None, session.Client);
                    Metrics.BackendToClient(session.ListenerIndex, n);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    if (_stopping) break;
                    Metrics.ReplySendError();
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stops receiving, closes every session and waits (bounded by <paramref name="timeout"/>) for the loops.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (_stopping) return;
        _stopping = true;
        _sweeper?.Dispose();
        foreach (var s in _listeners) s.Dispose();
        var closed = 0;
        foreach (var t in _tables)
            foreach (var s in t.RemoveAll())
                if (s.Close()) closed++;
        Log.Stopping(_log, closed);
        Task[] pending;
        lock (_sessionTasksLock) pending = [.. _loops, .. _sessionTasks];
        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(timeout));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(1));
}
