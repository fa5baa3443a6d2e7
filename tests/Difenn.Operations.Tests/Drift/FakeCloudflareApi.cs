using System.Net;
using System.Net.Sockets;
using System.Text;
using Difenn.Testing.Network;

namespace Difenn.Operations.Tests.Drift;

/// <summary>
/// A FAKE of Cloudflare's v4 API (Cloudflare cannot be reached from tests) on 127.0.0.1: <c>GET /zones?name=</c> and
/// <c>GET /zones/{id}/dns_records?type=&amp;name=</c>, answering in the documented envelope
/// (<c>{"success":…,"errors":[…],"result":[…]}</c>), 403 with Cloudflare's error shape for a wrong token. It records
/// every request's Authorization header and query so tests can check what the reader sends.
/// </summary>
internal sealed class FakeCloudflareApi : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public FakeCloudflareApi(string token, string zone, params (string Name, string Content, int Ttl, bool Proxied)[] records)
    {
        var port = FreePorts.Tcp();
        BaseUrl = new Uri($"http://127.0.0.1:{port}/client/v4/");
        _listener.Prefixes.Add(BaseUrl.ToString());
        _listener.Start();
        _loop = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext ctx;
                try { ctx = await _listener.GetContextAsync(); }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                lock (Requests) Requests.Add((ctx.Request.Headers["Authorization"] ?? "", ctx.Request.Url!.PathAndQuery));
                var (status, body) = Answer(ctx.Request, token, zone, records);
                var bytes = Encoding.UTF8.GetBytes(body);
                ctx.Response.StatusCode = status;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.OutputStream.WriteAsync(bytes);
                ctx.Response.Close();
            }
        });
    }

    public Uri BaseUrl { get; }

    public List<(string Authorization, string PathAndQuery)> Requests { get; } = [];

    private static (int, string) Answer(HttpListenerRequest request, string token, string zone, (string Name, string Content, int Ttl, bool Proxied)[] records)
    {
        if (request.Headers["Authorization"] != $"Bearer {token}")
            return (403, """{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}""");
        var path = request.Url!.AbsolutePath;
        if (path.EndsWith("/zones", StringComparison.Ordinal))
            return (200, request.QueryString["name"] == zone
                ? """{"success":true,"errors":[],"messages":[],"result":[{"id":"023e105f4ecef8ad9ca31a8372d0c353","name":"ZONE","status":"active"}]}""".Replace("ZONE", zone)
                : """{"success":true,"errors":[],"messages":[],"result":[]}""");
        if (path.EndsWith("/zones/023e105f4ecef8ad9ca31a8372d0c353/dns_records", StringComparison.Ordinal))
        {
            var found = records.Where(r => r.Name == request.QueryString["name"] && request.QueryString["type"] == "A")
                .Select(r => $$"""{"id":"372e67954025e0ba6aaa6d586b9e0b59","type":"A","name":"{{r.Name}}","content":"{{r.Content}}","proxiable":true,"proxied":{{(r.Proxied ? "true" : "false")}},"ttl":{{r.Ttl}}}""");
            return (200, $$"""{"success":true,"errors":[],"messages":[],"result":[{{string.Join(",", found)}}]}""");
        }
        return (404, """{"success":false,"errors":[{"code":7003,"message":"Could not route to /x, perhaps your object identifier is invalid?"}],"result":null}""");
    }


    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(2));
    }
}
