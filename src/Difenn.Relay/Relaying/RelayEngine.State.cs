using System.Net;
using Difenn.Relay.Configuration;
using Difenn.Relay.Observability;
using Difenn.Relay.Sessions;

namespace Difenn.Relay.Relaying;

internal sealed partial class RelayEngine
{
    /// <summary>With sessions open, the state file is rewritten at least this often, so a crash loses little activity time.</summary>
    private static readonly TimeSpan StateRefresh = TimeSpan.FromSeconds(30);

    private readonly Lock _stateLock = new();
    private int _sessionChanges;
    private int _savedChanges = -1;
    private long _lastStateSave;
    private bool _stateWriteFailing;

    /// <summary>Sessions opened, closed or restored since start: the state file is rewritten when this moves.</summary>
    private void SessionsChanged() => Interlocked.Increment(ref _sessionChanges);

    /// <summary>
    /// Brings back the sessions of <see cref="RelayOptions.StateFile"/> (see <see cref="SessionStateFile"/>): each on
    /// the listener it had, with an upstream socket on its old local port when that port is free, so the backend
    /// sees the same endpoint. Sessions idle past the timeout, or on a listener no longer configured, stay closed.
    /// </summary>
    private void RestoreSessions()
    {
        var path = _options.StateFile;
        if (path is null) return;
        List<SavedSession> saved;
        try
        {
            saved = SessionStateFile.Load(path, out var problems);
            foreach (var problem in problems) Log.StateFileProblem(_log, path, problem);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.StateFileProblem(_log, path, "cannot read: " + ex.Message + "; starting without saved sessions");
            return;
        }
        var nowWall = _time.GetUtcNow();
        var now = _time.GetTimestamp();
        int restored = 0, samePort = 0;
        foreach (var s in saved)
        {
            var index = _names.IndexOf(s.Listener);
            var age = nowWall - s.LastActive;
            if (age < TimeSpan.Zero) age = TimeSpan.Zero; // the clock went back: count it as just active
            if (index < 0 || age >= _options.IdleTimeout || ActiveSessions >= _options.MaxSessions) continue;
            if (s.Client.AddressFamily != _listeners[index].AddressFamily) continue;
            if (NewUpstream(s.UpstreamPort) is not { } upstream) continue;
            var local = (IPEndPoint)upstream.LocalEndPoint!;
            var lastActivity = now - (long)(age.TotalSeconds * _time.TimestampFrequency);
            if (Register(index, s.Client.Serialize(), upstream, lastActivity) is not { } session) continue;
            session.MarkConfirmed(); // only confirmed sessions are saved
            restored++;
            if (local.Port == s.UpstreamPort) samePort++;
            Metrics.SessionRestored();
            Log.SessionRestored(_log, s.Client, s.Listener, local.ToString(), (int)age.TotalSeconds);
        }
        Log.SessionsRestored(_log, restored, saved.Count - restored, samePort, path);
    }

    /// <summary>Writes the state file now (SIGHUP), whether or not anything changed; nothing without <see cref="RelayOptions.StateFile"/>.</summary>
    public void SaveState() => SaveSessions(force: true);

    /// <summary>
    /// Writes the session table to <see cref="RelayOptions.StateFile"/> when it changed since the last write, or
    /// <see cref="StateRefresh"/> has passed with sessions open, or <paramref name="force"/> (at shutdown). A failed
    /// write is logged and retried on the next sweep; it never stops the relay.
    /// </summary>
    private void SaveSessions(bool force)
    {
        var path = _options.StateFile;
        if (path is null || (_stopping && !force)) return;
        lock (_stateLock)
        {
            var changes = Volatile.Read(ref _sessionChanges);
            var now = _time.GetTimestamp();
            var due = changes != _savedChanges || (ActiveSessions > 0 && _time.GetElapsedTime(_lastStateSave, now) >= StateRefresh);
            if (!force && !due) return;
            var nowWall = _time.GetUtcNow();
            var sessions = new List<SavedSession>();
            for (var i = 0; i < _tables.Count; i++)
                foreach (var s in _tables[i].Snapshot())
                {
                    // A session the backend never answered is not worth a restart: saving it would let a flood of
                    // forged initiations survive one.
                    if (s.IsClosed || s.Upstream is null || !s.IsConfirmed) continue;
                    try
                    {
                        var port = ((IPEndPoint)s.Upstream.LocalEndPoint!).Port;
                        sessions.Add(new SavedSession(_names[i], s.ClientEndPoint(), port, nowWall - _time.GetElapsedTime(s.LastActivity, now)));
                    }
                    catch (ObjectDisposedException)
                    {
                        // Closed by the sweeper meanwhile: not worth keeping.
                    }
                }
            try
            {
                SessionStateFile.Save(path, sessions);
                _savedChanges = changes;
                _lastStateSave = now;
                _stateWriteFailing = false;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                if (!_stateWriteFailing) Log.StateFileProblem(_log, path, "cannot write: " + ex.Message + "; retrying every second");
                _stateWriteFailing = true;
            }
        }
    }
}
