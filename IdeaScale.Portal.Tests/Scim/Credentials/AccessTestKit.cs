using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json;

using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace IdeaScale.Portal.Tests.Scim.Credentials;

/// <summary>The real app on a real SQLite file, with a settable clock and optional configuration overrides.</summary>
public sealed class AccessFactory : PortalFactory
{
    public AccessFactory() : base(null, null)
    {
    }

    private AccessFactory(IDictionary<string, string?> overrides) : base(null, overrides)
    {
    }

    /// <summary>A factory with configuration overrides (e.g. a small rate-limit bucket).</summary>
    public static AccessFactory With(IDictionary<string, string?> overrides) => new(overrides);

    // Starts on a whole microsecond (PostgreSQL's timestamp precision), so instants computed from it compare equal
    // to the stored ones on both providers.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UnixEpoch.AddMicroseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000L));

    protected override void ConfigureTestServices(IServiceCollection services) => services.AddSingleton<TimeProvider>(Time);

    public HttpClient Scim(string? bearer = null, string host = "localhost")
    {
        var client = CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { BaseAddress = new Uri($"http://{host}/") });
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public async Task<T> WithDbAsync<T>(Func<PortalDbContext, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<PortalDbContext>());
    }

    public Task WithDbAsync(Func<PortalDbContext, Task> action) => WithDbAsync(async db =>
    {
        await action(db);
        return 0;
    });

    /// <summary>A principal as the portal's cookie carries it: just the account id (services re-read roles from the database).</summary>
    public Task<ClaimsPrincipal> PrincipalAsync(string email) => WithDbAsync(async db =>
    {
        var id = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
        return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id), new Claim(ClaimTypes.Name, email)], "Test"));
    });

    /// <summary>The current token of a workspace, in clear.</summary>
    public async Task<string> RevealAsync(string slug)
    {
        await using var scope = Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var credential = await db.ScimCredentials.SingleAsync(c => c.Settings!.Workspace!.Slug == slug && c.ExpiresAt == null);
        return scope.ServiceProvider.GetRequiredService<ScimCredentials>().Reveal(credential);
    }

    /// <summary>The id of the workspace's current credential (what the SCIM page passes as the token it replaces).</summary>
    public Task<Guid?> CurrentTokenIdAsync(string slug) => WithDbAsync(db =>
        db.ScimCredentials.Where(c => c.Settings!.Workspace!.Slug == slug && c.ExpiresAt == null).Select(c => (Guid?)c.Id).SingleOrDefaultAsync());

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Writes every queued provisioning-log row and coalesced last-use fact now.</summary>
    public async Task FlushAsync()
    {
        await Get<ProvisioningLogWriter>().FlushAsync();
        await Get<ScimCredentialUsage>().FlushAsync();
    }

    public Task<List<ProvisioningEvent>> EventsAsync() => WithDbAsync(db => db.ProvisioningEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
}

/// <summary>Assertions on SCIM error responses.</summary>
public static class ScimAssert
{
    public static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/scim+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("urn:ietf:params:scim:api:messages:2.0:Error", body.GetProperty("schemas")[0].GetString());
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), body.GetProperty("status").GetString());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        return body;
    }

    /// <summary>The request was admitted and answered 200 (a list of Users or Groups).</summary>
    public static void Ok(HttpResponseMessage response) =>
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, $"expected 200, got {(int)response.StatusCode}");

    /// <summary>The request got past authentication and gating (the endpoint answered, whatever it answered).</summary>
    public static void Admitted(HttpResponseMessage response) =>
        Assert.True((int)response.StatusCode is not (401 or 403 or 429), $"expected the request to be admitted, got {(int)response.StatusCode}");
}
