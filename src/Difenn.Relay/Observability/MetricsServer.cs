using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Difenn.Relay.Observability;

/// <summary>
/// A tiny HTTP/1.0 server for <c>GET /metrics</c> (Prometheus text) and <c>GET /healthz</c> (200 while the relay
/// runs). Hand-written to keep the AOT binary small; bound to loopback by default. One request per connection.
/// </summary>
internal sealed class MetricsServer(IPEndPoint endpoint, Func<string> metrics, Func<bool> healthy) : IAsyncDisposable
{
    private readonly TcpListener _listener = new(endpoint);
    private readonly CancellationTokenSource _cts = new();
    private Task? _loop;

    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    public void Start()
    {
        _listener.Start();
        _loop = AcceptLoop();
    }

    private async Task AcceptLoop()
    {
        while (!_cts.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_cts.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                break;
            }
            _ = Serve(client);
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                client.ReceiveTimeout = 2000;
                var stream = client.GetStream();
                var buf = new byte[4096];
                var read = 0;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                while (read < buf.Length)
                {
                    var n = await stream.ReadAsync(buf.AsMemory(read), timeout.Token);
                    if (n == 0) break;
                    read += n;
                    if (Encoding.ASCII.GetString(buf, 0, read).Contains("\r\n\r\n")) break;
                }
                var requestLine = Encoding.ASCII.GetString(buf, 0, read).Split("\r\n")[0];
                var parts = requestLine.Split(' ');
                var (status, body, type) = parts.Length >= 2 && parts[0] == "GET"
                    ? parts[1] switch
                    {
                        "/metrics" => ("200 OK", metrics(), "text/plain; version=0.0.4"),
                        "/healthz" => healthy() ? ("200 OK", "ok\n", "text/plain") : ("503 Service Unavailable", "stopping\n", "text/plain"),
                        _ => ("404 Not Found", "not found: try /metrics or /healthz\n", "text/plain"),
                    }
                    : ("405 Method Not Allowed", "GET only\n", "text/plain");
                var bytes = Encoding.UTF8.GetBytes(body);
                var head = Encoding.ASCII.GetBytes($"HTTP/1.0 {status}\r\nContent-Type: {type}\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(bytes, timeout.Token);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // a client that goes away mid-request is not the relay's problem
            }
        }
    }

    /// <summary>Sends <c>GET path</c> to <paramref name="endpoint"/>; returns the status code and body (for the healthcheck command and tests).</summary>
    public static async Task<(int Status, string Body)> GetAsync(IPEndPoint endpoint, string path, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var client = new TcpClient(endpoint.AddressFamily);
        await client.ConnectAsync(endpoint, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.0\r\nHost: {endpoint}\r\n\r\n"), cts.Token);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync(cts.Token);
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var bodyStart = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyStart < 0 ? "" : response[(bodyStart + 4)..]);
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        _listener.Stop();
        if (_loop is not null) await _loop;
        _cts.Dispose();
    }
}
