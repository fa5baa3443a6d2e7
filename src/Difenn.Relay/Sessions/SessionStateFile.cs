using System.Globalization;
using System.Net;
using System.Text;

namespace Difenn.Relay.Sessions;

/// <summary>One session as saved across a restart: who the client is, where it came in, and what the backend saw.</summary>
/// <param name="Listener">The listen endpoint the client talks to, as the relay prints it (e.g. <c>0.0.0.0:51820</c>).</param>
/// <param name="Client">The client's address and port.</param>
/// <param name="UpstreamPort">The local port of the session's upstream socket: the backend knows the client by it.</param>
/// <param name="LastActive">When a datagram last went either way.</param>
internal sealed record SavedSession(string Listener, IPEndPoint Client, int UpstreamPort, DateTimeOffset LastActive);

/// <summary>
/// The relay's session table on disk, so a restart (an upgrade, a rotation's new key, <c>docker restart</c>) keeps
/// its clients. Without it, a relay that admits only MAC1-valid initiations drops an idle tunnel's keepalives after
/// a restart until the client's next rekey, up to two minutes. With it, each session comes back with an upstream
/// socket on the same local port, so the backend sees the same endpoint and the tunnel simply continues.
/// <para>
/// A small text file, one session a line (<c>listener client upstream-port last-active-unix-ms</c>), written whole
/// to a temporary file and renamed over the old one, mode 0600 (client addresses are nobody else's business). It
/// holds no key and no payload. It is a cache: a line that does not parse is skipped with a warning naming the line,
/// and a missing or unreadable file means starting empty, never failing to start.
/// </para>
/// </summary>
internal static class SessionStateFile
{
    private const string Header = "# difenn-relay sessions v1: listener client upstream-port last-active-unix-ms";

    /// <summary>Problems named one by one; beyond this a file is not a session table at all, and one line says how many more.</summary>
    public const int MaxProblemsNamed = 20;

    /// <summary>
    /// Largest state file read (1 MiB, about 10 000 sessions): a larger one is not this relay's, and reading it whole
    /// could exhaust memory and crash-loop the relay.
    /// </summary>
    public const long MaxBytes = 1 << 20;

    /// <summary>Writes <paramref name="sessions"/> to <paramref name="path"/> atomically (temporary file, then rename), mode 0600.</summary>
    public static void Save(string path, IEnumerable<SavedSession> sessions)
    {
        var text = new StringBuilder(Header).Append('\n');
        foreach (var s in sessions)
            text.Append(s.Listener).Append(' ').Append(s.Client).Append(' ')
                .Append(s.UpstreamPort.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(s.LastActive.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)).Append('\n');
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            // CreateNew is O_CREAT|O_EXCL: it never follows a symlink planted under the temporary name, and never
            // writes into a file someone else made there.
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The write's own error is the one worth reporting.
            }
            throw;
        }
    }

    /// <summary>
    /// Reads <paramref name="path"/>. Returns the sessions of every well-formed line; <paramref name="problems"/> names
    /// each line skipped and why (<c>line 3: ...</c>), the first <see cref="MaxProblemsNamed"/> of them, then one
    /// line counting the rest. A missing file is no sessions and no problem.
    /// </summary>
    public static List<SavedSession> Load(string path, out List<string> problems)
    {
        var named = new List<string>();
        problems = named;
        var sessions = new List<SavedSession>();
        if (!File.Exists(path)) return sessions;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        if (stream.Length > MaxBytes)
        {
            named.Add($"{stream.Length} bytes, more than the {MaxBytes} a session table can need; ignored");
            return sessions;
        }
        using var reader = new StreamReader(new LimitedStream(stream, MaxBytes), Encoding.UTF8);
        var lineNumber = 0;
        var unnamed = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#')) continue;
            ParseLine(line, lineNumber, sessions, named);
            if (named.Count > MaxProblemsNamed)
            {
                named.RemoveAt(named.Count - 1);
                unnamed++;
            }
        }
        if (unnamed > 0) named.Add($"{unnamed} more line(s) skipped");
        return sessions;
    }

    /// <summary>Reads at most a given number of bytes of a stream, so a file that grows while read cannot exhaust memory.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private long _left = limit;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left <= 0) return 0;
            var n = inner.Read(buffer, offset, (int)Math.Min(count, _left));
            _left -= n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Adds the session of <paramref name="line"/>, or the reason it is skipped.</summary>
    private static void ParseLine(string line, int lineNumber, List<SavedSession> sessions, List<string> problems)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 4)
            problems.Add($"line {lineNumber}: expected 4 fields (listener client upstream-port last-active), found {fields.Length}");
        else if (!IPEndPoint.TryParse(fields[0], out _))
            problems.Add($"line {lineNumber}: listener '{fields[0]}' is not an ADDRESS:PORT");
        else if (!IPEndPoint.TryParse(fields[1], out var client) || client.Port == 0)
            problems.Add($"line {lineNumber}: client '{fields[1]}' is not an ADDRESS:PORT");
        else if (!int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            problems.Add($"line {lineNumber}: upstream port '{fields[2]}' is not a port number");
        else if (!long.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var ms) || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            problems.Add($"line {lineNumber}: last-active '{fields[3]}' is not a Unix time in milliseconds");
        else
            sessions.Add(new SavedSession(fields[0], client, port, DateTimeOffset.FromUnixTimeMilliseconds(ms)));
    }
}
