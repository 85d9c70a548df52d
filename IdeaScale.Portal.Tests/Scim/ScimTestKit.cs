using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim;

/// <summary>
/// The real app on a real SQLite file for SCIM resource tests: rate limiting off (tests send bursts), and EF Core
/// command logging on, so tests can assert which SQL ran (e.g. that a group's members were not loaded).
/// </summary>
public sealed class ScimFactory() : PortalFactory(null, Settings())
{
    public const string IdesBase = "http://ides.localhost:5080/scim/v2";

    /// <summary>The SCIM test settings (also used by <see cref="KestrelScimFactory"/>).</summary>
    internal static Dictionary<string, string?> Settings() => new()
    {
        ["Scim:RateLimit:RequestsPerSecond"] = "0",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
        ["Logging:LogLevel:IdeaScale.Portal.Data.ReadSessions"] = "Debug",
    };

    public HttpClient Scim(string token = IdesToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    public Task<Guid> WorkspaceIdAsync(string slug) => WithDbAsync(db => db.Workspaces.Where(w => w.Slug == slug).Select(w => w.Id).SingleAsync());

    /// <summary>
    /// The SQL statements executed since <paramref name="mark"/> (a count of log lines taken earlier): EF Core's, and
    /// the prepared reads of <see cref="ReadSessions"/>. A command that batches several statements (EF Core does on
    /// PostgreSQL) counts as each of them, so counts mean the same on both providers.
    /// </summary>
    public IReadOnlyList<string> SqlSince(int mark) => [.. CommandsSince(mark).SelectMany(Statements)];

    /// <summary>The SQL commands (round trips) executed since <paramref name="mark"/>, each with all the statements it batches.</summary>
    public IReadOnlyList<string> CommandsSince(int mark) =>
        Logs.Lines.Skip(mark).Where(l => l.Contains("Executed DbCommand", StringComparison.Ordinal)
            || l.Contains("Executed prepared ", StringComparison.Ordinal)).ToList();

    /// <summary>One logged command split into its statements (EF Core ends each batched one with ";" and a line break).</summary>
    private static IEnumerable<string> Statements(string line)
    {
        var start = line.IndexOf('\n', StringComparison.Ordinal);
        if (start < 0)
        {
            return [line];
        }

        var head = line[..start];
        var statements = line[(start + 1)..].Split([";\r\n", ";\n"], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return statements.Length <= 1 ? [line] : statements.Select(s => head + "\n" + s);
    }
}

/// <summary>
/// The same app and settings as <see cref="ScimFactory"/>, served by Kestrel on a loopback port: requests cross real
/// sockets and Kestrel's HTTP/1.1 parser (percent-decoding, request limits, connection handling), as an IdP's do.
/// </summary>
public sealed class KestrelScimFactory() : PortalFactory(null, ScimFactory.Settings())
{
    /// <summary>A real HTTP client for the server, with the workspace token (the first call starts the server).</summary>
    public HttpClient Scim(string token = IdesToken) => CreateLoopbackClient(token);

    /// <summary>An absolute URL sent exactly as written: no escaping or unescaping of the path and query.</summary>
    public Uri RawUrl(string pathAndQuery)
    {
        using var client = CreateLoopbackClient();
        return new(client.BaseAddress!.GetLeftPart(UriPartial.Authority) + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        CreateLoopbackClient().Dispose(); // the server (and so Services) is Kestrel's, whatever runs first
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }
}

/// <summary>Sending SCIM requests and reading SCIM responses.</summary>
public static class ScimHttp
{
    public const string MediaType = "application/scim+json";

    public static StringContent Json(string json, string mediaType = MediaType) => new(json, Encoding.UTF8, mediaType);

    public static StringContent Json(JsonNode json, string mediaType = MediaType) => Json(json.ToJsonString(), mediaType);

    public static async Task<(HttpResponseMessage Response, JsonObject? Body)> SendAsync(
        this HttpClient client, HttpMethod method, string url, string? json = null, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (json is not null)
        {
            request.Content = Json(json);
        }

        configure?.Invoke(request);
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length > 0)
        {
            Assert.Equal(MediaType, response.Content.Headers.ContentType?.MediaType);
        }

        return (response, text.Length == 0 ? null : JsonNode.Parse(text) as JsonObject);
    }

    public static Task<(HttpResponseMessage Response, JsonObject? Body)> GetJsonAsync(this HttpClient client, string url) => client.SendAsync(HttpMethod.Get, url);
    public static Task<(HttpResponseMessage Response, JsonObject? Body)> PostJsonAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Post, url, json);
    public static Task<(HttpResponseMessage Response, JsonObject? Body)> PutJsonAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Put, url, json);
    public static Task<(HttpResponseMessage Response, JsonObject? Body)> PatchJsonAsync(this HttpClient client, string url, string json) => client.SendAsync(HttpMethod.Patch, url, json);

    /// <summary>Creates a user and returns its id.</summary>
    public static async Task<string> CreateUserAsync(this HttpClient client, string userName, string? extra = null)
    {
        var (response, body) = await client.PostJsonAsync("/scim/v2/Users",
            $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"{{userName}}"{{(extra is null ? "" : "," + extra)}}}""");
        Assert.Equal(201, (int)response.StatusCode);
        return body!["id"]!.GetValue<string>();
    }

    public static async Task<string> CreateGroupAsync(this HttpClient client, string displayName, params string[] memberIds)
    {
        var members = string.Join(",", memberIds.Select(id => $$"""{"value":"{{id}}"}"""));
        var (response, body) = await client.PostJsonAsync("/scim/v2/Groups",
            $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"{{displayName}}","members":[{{members}}]}""");
        Assert.Equal(201, (int)response.StatusCode);
        return body!["id"]!.GetValue<string>();
    }

    /// <summary>Asserts an RFC 7644 §3.12 error body with the given status and scimType.</summary>
    public static void AssertError((HttpResponseMessage Response, JsonObject? Body) result, int status, string? scimType = null)
    {
        Assert.Equal(status, (int)result.Response.StatusCode);
        var body = result.Body!;
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", body["schemas"]![0]!.GetValue<string>());
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), body["status"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(body["detail"]?.GetValue<string>()));
        if (scimType is not null)
        {
            Assert.Equal(scimType, body["scimType"]?.GetValue<string>());
        }
    }
}
