using System.Net.Http.Headers;
using System.Text.Json;

namespace Difenn.Operations.Drift;

/// <summary>A DNS record as Cloudflare holds it.</summary>
/// <param name="Name">Record name.</param>
/// <param name="Type">Record type.</param>
/// <param name="Content">Its content (the address).</param>
/// <param name="Ttl">TTL seconds (1 means automatic).</param>
/// <param name="Proxied">Whether Cloudflare proxies it.</param>
public sealed record CloudflareRecord(string Name, string Type, string Content, int Ttl, bool Proxied);

/// <summary>Reads one A record from Cloudflare.</summary>
public interface ICloudflareDnsReader
{
    /// <summary>The A record <paramref name="name"/> in zone <paramref name="zone"/>, or null when there is none.</summary>
    Task<CloudflareRecord?> ReadAsync(string zone, string name, CancellationToken ct);
}

/// <summary>Cloudflare answered with an error.</summary>
/// <param name="message">What it said.</param>
public sealed class CloudflareApiException(string message) : Exception(message);

/// <summary>
/// <see cref="ICloudflareDnsReader"/> over Cloudflare's v4 API (<c>GET /zones?name=</c>, then
/// <c>GET /zones/{id}/dns_records?type=A&amp;name=</c>) with a read-only API token. The token is sent only in the
/// Authorization header and never appears in messages.
/// </summary>
/// <param name="http">The client (its lifetime is the caller's).</param>
/// <param name="apiToken">A token with Zone.DNS read permission.</param>
/// <param name="baseUrl">The API root (default <c>https://api.cloudflare.com/client/v4/</c>).</param>
public sealed class CloudflareDnsReader(HttpClient http, string apiToken, Uri? baseUrl = null) : ICloudflareDnsReader
{
    private readonly Uri _base = baseUrl ?? new Uri("https://api.cloudflare.com/client/v4/");

    /// <inheritdoc />
    public async Task<CloudflareRecord?> ReadAsync(string zone, string name, CancellationToken ct)
    {
        using var zones = await GetAsync($"zones?name={Uri.EscapeDataString(zone)}", ct);
        var zoneList = zones.RootElement.GetProperty("result");
        if (zoneList.GetArrayLength() == 0) throw new CloudflareApiException($"zone {zone} is not visible to this token");
        var zoneId = zoneList[0].GetProperty("id").GetString()!;
        using var records = await GetAsync($"zones/{Uri.EscapeDataString(zoneId)}/dns_records?type=A&name={Uri.EscapeDataString(name)}", ct);
        var list = records.RootElement.GetProperty("result");
        if (list.GetArrayLength() == 0) return null;
        var r = list[0];
        return new CloudflareRecord(r.GetProperty("name").GetString()!, r.GetProperty("type").GetString()!, r.GetProperty("content").GetString()!,
            r.GetProperty("ttl").GetInt32(), r.GetProperty("proxied").GetBoolean());
    }

    private async Task<JsonDocument> GetAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiToken);
        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new CloudflareApiException($"Cloudflare answered {(int)response.StatusCode} with a body that is not JSON");
        }
        if (!response.IsSuccessStatusCode || !doc.RootElement.GetProperty("success").GetBoolean())
        {
            var errors = doc.RootElement.TryGetProperty("errors", out var e) ? string.Join("; ", e.EnumerateArray().Select(x => x.GetProperty("message").GetString())) : "";
            doc.Dispose();
            throw new CloudflareApiException($"Cloudflare answered {(int)response.StatusCode}: {errors}");
        }
        return doc;
    }
}
