using System.Net;
using Difenn.Operations.Drift;
using Difenn.Operations.Remote;
using Difenn.Topology.Desired;

namespace Difenn.Operations.Tests.Drift;

/// <summary>The DNS part of drift: the resolver's answer and Cloudflare's record (through the fake API's contract).</summary>
public class DnsDriftTests
{
    private const string Token = "test-token-not-a-secret";

    [Fact]
    public async Task Read_RecordExists_ContentTtlProxiedAndBearerTokenSent()
    {
        using var api = new FakeCloudflareApi(Token, "trevarn.com", ("wg.trevarn.com", "51.68.235.106", 300, false));
        using var http = new HttpClient();
        var record = await new CloudflareDnsReader(http, Token, api.BaseUrl).ReadAsync("trevarn.com", "wg.trevarn.com", default);
        Assert.Equal(new CloudflareRecord("wg.trevarn.com", "A", "51.68.235.106", 300, false), record);
        Assert.All(api.Requests, r => Assert.Equal($"Bearer {Token}", r.Authorization));
        Assert.Contains(api.Requests, r => r.PathAndQuery.Contains("dns_records?type=A&name=wg.trevarn.com"));
    }

    [Fact]
    public async Task Read_WrongTokenOrUnknownZone_ClearErrorWithoutTheToken()
    {
        using var api = new FakeCloudflareApi("right", "trevarn.com");
        using var http = new HttpClient();
        var denied = await Assert.ThrowsAsync<CloudflareApiException>(() => new CloudflareDnsReader(http, "wrong-token", api.BaseUrl).ReadAsync("trevarn.com", "wg.trevarn.com", default));
        Assert.Equal("Cloudflare answered 403: Invalid access token", denied.Message);
        var zone = await Assert.ThrowsAsync<CloudflareApiException>(() => new CloudflareDnsReader(http, "right", api.BaseUrl).ReadAsync("other.com", "wg.other.com", default));
        Assert.Contains("zone other.com is not visible to this token", zone.Message);
        Assert.Null(await new CloudflareDnsReader(http, "right", api.BaseUrl).ReadAsync("trevarn.com", "wg.trevarn.com", default));
    }

    [Fact]
    public async Task Check_ProxiedRecordAndStaleResolver_DriftOnDnsOnly()
    {
        using var api = new FakeCloudflareApi(Token, "trevarn.com", ("wg.trevarn.com", "51.68.235.106", 1, true));
        using var http = new HttpClient();
        var state = new DesiredState("t", new DnsRecordSpec("trevarn.com", "wg.trevarn.com", "A", "51.68.235.106", 300, false), []);
        var detector = new DriftDetector(new NoHosts(), (_, _) => Task.FromResult(new[] { IPAddress.Parse("104.21.0.1") }), new CloudflareDnsReader(http, Token, api.BaseUrl));

        var report = await detector.CheckAsync(null!, state);

        Assert.Equal(2, report.ExitCode);
        Assert.Contains(report.Items, i => i is { Item: "wg.trevarn.com resolves to", Live: "104.21.0.1", Verdict: DriftVerdict.Drift });
        Assert.Contains(report.Items, i => i is { Item: "cloudflare wg.trevarn.com proxied", Live: "true (proxied: breaks UDP)", Verdict: DriftVerdict.Drift });
        Assert.Contains(report.Items, i => i is { Item: "cloudflare wg.trevarn.com ttl", Desired: "300", Live: "1" });
        Assert.Contains(report.Items, i => i is { Item: "cloudflare wg.trevarn.com content", Verdict: DriftVerdict.InSync });
    }

    private sealed class NoHosts : IRemoteShell
    {
        public Task<RemoteResult> RunAsync(string hostName, HostConnection connection, string script, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("no host is contacted in this test");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
