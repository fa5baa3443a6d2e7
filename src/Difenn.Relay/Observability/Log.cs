using System.Net;
using Microsoft.Extensions.Logging;

namespace Difenn.Relay.Observability;

/// <summary>Source-generated log events with stable ids. Endpoints only: never a payload byte.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "listening on {Listener}, relaying to {Backend}")]
    public static partial void Listening(ILogger logger, string listener, string backend);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "session opened {Client} via {Listener} (upstream local {Upstream})")]
    public static partial void SessionOpened(ILogger logger, IPEndPoint client, string listener, string upstream);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "session closed {Client} via {Listener}: {Reason}")]
    public static partial void SessionClosed(ILogger logger, IPEndPoint client, string listener, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "backend {Backend} moved to {Address}; {Count} sessions reconnected")]
    public static partial void BackendMoved(ILogger logger, string backend, IPAddress address, int count);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "cannot resolve backend {Backend}: {Error}; keeping {Address}")]
    public static partial void ResolveFailed(ILogger logger, string backend, string error, IPAddress? address);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "stopping: {Sessions} sessions closed")]
    public static partial void Stopping(ILogger logger, int sessions);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "session restored {Client} via {Listener} (upstream local {Upstream}, idle {IdleSeconds} s)")]
    public static partial void SessionRestored(ILogger logger, IPEndPoint client, string listener, string upstream, int idleSeconds);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "restored {Restored} sessions from {Path} ({Skipped} expired or no longer listened for; {SamePort} on their old upstream port)")]
    public static partial void SessionsRestored(ILogger logger, int restored, int skipped, int samePort, string path);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "state file {Path}: {Problem}")]
    public static partial void StateFileProblem(ILogger logger, string path, string problem);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "server keys from {Path}: {Count} key(s) in force (sha256 {Sha256})")]
    public static partial void ServerKeysLoaded(ILogger logger, string path, int count, string sha256);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "server keys file: {Problem}; keeping the {Count} key(s) in force")]
    public static partial void ServerKeysProblem(ILogger logger, string problem, int count);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "metrics on http://{Endpoint}/metrics")]
    public static partial void MetricsListening(ILogger logger, IPEndPoint endpoint);
}

/// <summary>A minimal stderr logger: one line an event, <c>time level [id] message</c>. No configuration binding (AOT-clean).</summary>
internal sealed class StderrLogger(LogLevel minimum) : ILogger
{
    private readonly Lock _lock = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel)) return;
        var line = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {logLevel.ToString().ToLowerInvariant()} [{eventId.Id}] {formatter(state, exception)}";
        lock (_lock) Console.Error.WriteLine(line);
    }
}
