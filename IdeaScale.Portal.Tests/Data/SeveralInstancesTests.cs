using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Data;

/// <summary>
/// Two app instances (two hosts, each with its own caches, key-ring cache and read sessions) on one database, started at
/// once on an empty server: they behave as one product. Runs on the provider of the test run (./test.sh runs it on
/// SQLite and on PostgreSQL; on PostgreSQL the database does not exist before the two start).
/// </summary>
public sealed class SeveralInstancesTests : IAsyncLifetime, IDisposable
{
    private static readonly Uri Config = new("scim/v2/ServiceProviderConfig", UriKind.Relative);
    private readonly string directory = Directory.CreateTempSubdirectory("ideascale-test-").FullName;
    private Instance a = default!;
    private Instance b = default!;

    public async Task InitializeAsync()
    {
        a = new Instance(directory);
        b = new Instance(directory);
        // Both start at the same moment: create (PostgreSQL), migrate and seed must each happen once.
        await Task.WhenAll(Task.Run(() => a.Services), Task.Run(() => b.Services));
    }

    public Task DisposeAsync()
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        a?.Dispose();
        b?.Dispose();
    }

    [Fact]
    public async Task Start_TwoAtOnceOnAnEmptyServer_SeedOnce()
    {
        Assert.Equal(3, await a.WithDbAsync(db => db.Workspaces.CountAsync()));
        Assert.Equal(1, await b.WithDbAsync(db => db.Users.CountAsync(u => u.Email == DemoSeeder.CsmEmail)));
        Assert.Equal(1, await a.WithDbAsync(db => db.DataProtectionKeys.CountAsync()));
    }

    [Fact]
    public async Task MemberAdds_TwentyConcurrentSplitAcrossBoth_AllTwentyKept()
    {
        using var clientA = a.Scim();
        using var clientB = b.Scim();
        var (_, group) = await clientA.SendAsync(HttpMethod.Post, "scim/v2/Groups", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Both"}""");
        var groupId = group!["id"]!.GetValue<string>();
        var users = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var (_, user) = await (i % 2 == 0 ? clientA : clientB).SendAsync(HttpMethod.Post, "scim/v2/Users", $$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"member{{i}}@both.example"}""");
            users.Add(user!["id"]!.GetValue<string>());
        }

        var adds = users.Select((id, i) => (i % 2 == 0 ? clientA : clientB).SendAsync(HttpMethod.Patch, $"scim/v2/Groups/{groupId}",
            $$"""{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[{"value":"{{id}}"}]}]}"""));
        var results = await Task.WhenAll(adds);

        Assert.All(results, r => Assert.Equal(HttpStatusCode.NoContent, r.Response.StatusCode));
        var (_, read) = await clientB.SendAsync(HttpMethod.Get, $"scim/v2/Groups/{groupId}");
        Assert.Equal(users.Order(), read!["members"]!.AsArray().Select(m => m!["value"]!.GetValue<string>()).Order());
    }

    [Fact]
    public async Task DuplicateCreates_TenConcurrentSplitAcrossBoth_OneCreated()
    {
        using var clientA = a.Scim();
        using var clientB = b.Scim();
        var creates = Enumerable.Range(0, 10).Select(i => (i % 2 == 0 ? clientA : clientB).SendAsync(HttpMethod.Post, "scim/v2/Users",
            """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"Same.Person@both.example"}"""));
        var results = await Task.WhenAll(creates);

        Assert.Single(results, r => r.Response.StatusCode == HttpStatusCode.Created);
        Assert.All(results.Where(r => r.Response.StatusCode != HttpStatusCode.Created), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Response.StatusCode);
            Assert.Equal("uniqueness", r.Body!["scimType"]!.GetValue<string>());
        });
    }

    [Fact]
    public async Task User_CreatedOnA_ReadOnB()
    {
        using var clientA = a.Scim();
        using var clientB = b.Scim();
        var (_, created) = await clientA.SendAsync(HttpMethod.Post, "scim/v2/Users", """{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@both.example"}""");
        var id = created!["id"]!.GetValue<string>();

        var (byId, user) = await clientB.SendAsync(HttpMethod.Get, $"scim/v2/Users/{id}");
        var (byName, list) = await clientB.SendAsync(HttpMethod.Get, "scim/v2/Users?filter=" + Uri.EscapeDataString("userName eq \"ADA@both.example\""));

        Assert.Equal(HttpStatusCode.OK, byId.StatusCode);
        Assert.Equal("ada@both.example", user!["userName"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, byName.StatusCode);
        Assert.Equal(id, list!["Resources"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_RegeneratedOnA_RefusedByBOnItsNextRequest()
    {
        using var clientB = b.Scim();
        using (var before = await clientB.GetAsync(Config))
        {
            ScimAssert.Ok(before);
        }

        var admin = await a.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var issued = await a.Services.GetRequiredService<ScimAdministration>().RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, await a.CurrentTokenIdAsync("ides"));

        using var old = await clientB.GetAsync(Config);
        await ScimAssert.ErrorAsync(old, 401);
        using var renewed = b.Scim(issued.Token);
        using var now = await renewed.GetAsync(Config);
        ScimAssert.Ok(now);
    }

    [Fact]
    public async Task Scim_DisabledByCsmOnA_BAnswers403OnItsNextRequest()
    {
        using var clientB = b.Scim();
        using (var before = await clientB.GetAsync(Config))
        {
            ScimAssert.Ok(before);
        }

        var csm = await a.PrincipalAsync(DemoSeeder.CsmEmail);
        await a.Services.GetRequiredService<ScimAdministration>().SetScimEnabledAsync(csm, "ides", enabled: false, reason: "Contract paused");

        using var after = await clientB.GetAsync(Config);
        var body = await ScimAssert.ErrorAsync(after, 403);
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Token_CreatedOnA_CopiedOnB()
    {
        var admin = await a.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var issued = await a.Services.GetRequiredService<ScimAdministration>().RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, await a.CurrentTokenIdAsync("ides"));

        var adminOnB = await b.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var copied = await b.Services.GetRequiredService<ScimAdministration>().RevealTokenAsync(adminOnB, "ides", copied: true);

        Assert.Equal(issued.Token, copied);
    }

    /// <summary>One app instance on the shared database (rate limit off: the tests send bursts).</summary>
    private sealed class Instance(string directory) : PortalFactory(directory, new Dictionary<string, string?> { ["Scim:RateLimit:RequestsPerSecond"] = "0" })
    {
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

        /// <summary>The token the admin sees as current (what the SCIM page passes when regenerating).</summary>
        public Task<Guid?> CurrentTokenIdAsync(string slug) => WithDbAsync(db =>
            db.ScimCredentials.Where(c => c.Settings!.Workspace!.Slug == slug && c.ExpiresAt == null).Select(c => (Guid?)c.Id).SingleOrDefaultAsync());

        public Task<System.Security.Claims.ClaimsPrincipal> PrincipalAsync(string email) => WithDbAsync(async db =>
        {
            var id = await db.Users.Where(u => u.Email == email).Select(u => u.Id).SingleAsync();
            return new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.NameIdentifier, id), new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, email)], "Test"));
        });
    }
}
