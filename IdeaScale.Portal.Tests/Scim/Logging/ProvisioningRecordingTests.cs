using System.Net.Http.Headers;
using System.Text;

using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Logging;

public sealed class ProvisioningRecordingTests
{
    [Fact]
    public async Task Request_IsRecordedWithOperationStatusPathClientAndWorkspaceButNoQuery()
    {
        using var factory = new AccessFactory();
        var idesId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        using var okta = factory.Scim(PortalFactory.IdesToken);
        okta.DefaultRequestHeaders.UserAgent.ParseAdd("Okta-SCIM-Client/2.0");
        await okta.GetAsync("scim/v2/Users?filter=userName%20eq%20%22secret-looking%22&startIndex=1&count=2");
        await okta.GetAsync("scim/v2/Users/00919288221112222");
        using var anonymous = factory.Scim(host: "ides.localhost");
        await anonymous.GetAsync("scim/v2/Groups");
        using var nowhere = factory.Scim();
        await nowhere.GetAsync("scim/v2/ServiceProviderConfig");

        await factory.FlushAsync();
        var events = await factory.EventsAsync();
        Assert.Equal(4, events.Count);

        var list = events[0];
        Assert.Equal((idesId, ProvisioningOperation.List, "GET", "/scim/v2/Users", "User"), (list.WorkspaceId, list.Operation, list.Method, list.Path, list.ResourceType));
        Assert.Equal(ActorKind.IdentityProvider, list.ActorKind);
        Assert.Equal(ScimClients.Okta, list.Actor);
        Assert.NotNull(list.StatusCode);
        Assert.NotNull(list.DurationMs);

        var read = events[1];
        Assert.Equal((ProvisioningOperation.Read, "User", "00919288221112222", 404, EventOutcome.Failure),
            (read.Operation, read.ResourceType, read.ResourceId, read.StatusCode, read.Outcome));

        // An unauthenticated request on ides's own host is attributed to ides, so its admins see it.
        var denied = events[2];
        Assert.Equal((idesId, ProvisioningOperation.AuthenticationFailure, 401, EventOutcome.Failure, "Group"),
            (denied.WorkspaceId, denied.Operation, denied.StatusCode, denied.Outcome, denied.ResourceType));
        Assert.Equal(ScimAuthenticationDefaults.FailureDetail, denied.Summary);

        Assert.Null(events[3].WorkspaceId);
        Assert.Equal(ProvisioningOperation.AuthenticationFailure, events[3].Operation);

        Assert.All(events, e => Assert.DoesNotContain("?", e.Path, StringComparison.Ordinal));
        Assert.DoesNotContain(events, e => (e.Summary ?? "").Contains("secret-looking", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Request_GatedOrLimited_IsRecordedWithTheReason()
    {
        using var factory = new AccessFactory();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        await factory.Get<ScimAdministration>().SetScimEnabledAsync(csm, "ides", enabled: false, reason: "Contract paused");
        using var client = factory.Scim(PortalFactory.IdesToken);
        await client.DeleteAsync("scim/v2/Users/abc");

        await factory.FlushAsync();
        var gated = Assert.Single(await factory.EventsAsync(), e => e.ActorKind == ActorKind.IdentityProvider);
        Assert.Equal((ProvisioningOperation.Delete, 403, EventOutcome.Failure, "abc"), (gated.Operation, gated.StatusCode, gated.Outcome, gated.ResourceId));
        Assert.Equal(ScimAuthentication.ScimDisabledDetail, gated.Summary);
    }

    [Fact]
    public async Task LastUse_IsCoalescedInMemoryAndWrittenOnlyByTheFlush()
    {
        using var factory = new AccessFactory();
        using var client = factory.Scim(PortalFactory.IdesToken);
        client.DefaultRequestHeaders.UserAgent.ParseAdd("Azure-AD-SCIM/1.0 (Azure AD SCIM Provisioning)");
        for (var i = 0; i < 5; i++)
        {
            await client.GetAsync("scim/v2/Users");
        }

        var stored = await CurrentAsync(factory, "ides");
        Assert.Null(stored.LastUsedAt);

        await factory.FlushAsync();
        stored = await CurrentAsync(factory, "ides");
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime, stored.LastUsedAt);
        Assert.Equal(ScimClients.EntraId, stored.LastUsedUserAgent);
        Assert.Equal(stored.LastUsedAt, stored.LastSuccessAt);
        Assert.Null(stored.LastFailureAt);
        Assert.Null((await CurrentAsync(factory, "acme")).LastUsedAt);
    }

    [Fact]
    public async Task Shutdown_FlushesQueuedLogRowsAndLastUse()
    {
        string directory;
        using (var factory = new AccessFactory())
        {
            directory = factory.DataDirectory;
            using var client = factory.Scim(PortalFactory.AcmeToken);
            await client.GetAsync("scim/v2/Users");
            await client.GetAsync("scim/v2/Groups");
        }

        using var reopened = new PortalFactory(directory, null);
        await using var scope = reopened.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        Assert.Equal(2, await db.ProvisioningEvents.CountAsync(e => e.ActorKind == ActorKind.IdentityProvider));
        Assert.NotNull((await db.ScimCredentials.SingleAsync(c => c.Settings!.Workspace!.Slug == "acme")).LastUsedAt);
    }

    [Fact]
    public async Task PruneAsync_DeletesIdpRowsOlderThanTheRetentionAndKeepsAuditRows()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["Scim:ProvisioningLog:RetentionDays"] = "30" });
        var now = factory.Time.GetUtcNow().UtcDateTime;
        await SeedAgedRowsAsync(factory, now);

        Assert.Equal(2, await factory.Get<ProvisioningLogRetention>().PruneAsync());

        var left = await factory.WithDbAsync(db => db.ProvisioningEvents.Where(e => e.Summary!.StartsWith("age ")).Select(e => e.Summary).OrderBy(s => s).ToListAsync());
        // The IdP's rows older than 30 days are gone; the admin and CSM audit rows of any age stay (AuditRetentionDays 0).
        Assert.Equal(["age 1", "age 29.9", "age 31 CustomerSuccess", "age 400 System", "age 400 WorkspaceAdmin"], left);
    }

    [Fact]
    public async Task PruneAsync_WithAuditRetention_DeletesOnlyAuditRowsOlderThanIt()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:ProvisioningLog:RetentionDays"] = "0",
            ["Scim:ProvisioningLog:AuditRetentionDays"] = "365",
        });
        var now = factory.Time.GetUtcNow().UtcDateTime;
        await SeedAgedRowsAsync(factory, now);

        Assert.Equal(2, await factory.Get<ProvisioningLogRetention>().PruneAsync());

        var left = await factory.WithDbAsync(db => db.ProvisioningEvents.Where(e => e.Summary!.StartsWith("age ")).Select(e => e.Summary).OrderBy(s => s).ToListAsync());
        Assert.Equal(["age 1", "age 29.9", "age 30.5", "age 31", "age 31 CustomerSuccess"], left);
    }

    [Trait("Provider", "Sqlite")] // asserts SQLite's own query plan or SQL text
    [Fact]
    public async Task PruneAsync_EachDelete_IsOneRangeOfTheActorKindOccurredAtIndex()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:ProvisioningLog:RetentionDays"] = "30",
            ["Scim:ProvisioningLog:AuditRetentionDays"] = "365",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
        });
        var mark = factory.Logs.Lines.Count;

        await factory.Get<ProvisioningLogRetention>().PruneAsync();

        var deletes = factory.Logs.Lines.Skip(mark)
            .Where(l => l.Contains("Executed DbCommand", StringComparison.Ordinal) && l.Contains("DELETE FROM \"ProvisioningEvents\"", StringComparison.Ordinal))
            .Select(l => l[l.IndexOf("DELETE", StringComparison.Ordinal)..])
            .Distinct() // the host's own prune at start may run the same two statements
            .ToList();
        Assert.Equal(2, deletes.Count);
        foreach (var delete in deletes)
        {
            // A full scan of the log ("SCAN ProvisioningEvents") would visit every row kept, millions of them.
            Assert.Matches(@"^SEARCH \w+ USING INDEX IX_ProvisioningEvents_ActorKind_OccurredAt \(ActorKind=\? AND OccurredAt<\?\)$", await factory.QueryPlanAsync(delete));
        }
    }

    /// <summary>IdP rows aged 31, 30.5, 29.9 and 1 days, and audit rows of each other actor kind (summaries "age …").</summary>
    private static Task SeedAgedRowsAsync(AccessFactory factory, DateTime now) => factory.WithDbAsync(async db =>
    {
        foreach (var age in new[] { 31, 30.5, 29.9, 1 })
        {
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                OccurredAt = now.AddDays(-age),
                Actor = "Okta",
                ActorKind = ActorKind.IdentityProvider,
                Operation = ProvisioningOperation.List,
                Outcome = EventOutcome.Success,
                Summary = FormattableString.Invariant($"age {age}"),
            });
        }

        foreach (var (age, kind, operation) in new[]
        {
            (400, ActorKind.WorkspaceAdmin, ProvisioningOperation.TokenRegenerated),
            (400, ActorKind.System, ProvisioningOperation.ScimDisabled),
            (31, ActorKind.CustomerSuccess, ProvisioningOperation.ScimEnabled),
        })
        {
            db.ProvisioningEvents.Add(new ProvisioningEvent
            {
                OccurredAt = now.AddDays(-age),
                Actor = "someone@ides.example",
                ActorKind = kind,
                Operation = operation,
                Outcome = EventOutcome.Success,
                Summary = FormattableString.Invariant($"age {age} {kind}"),
            });
        }

        await db.SaveChangesAsync();
    });

    [Fact]
    public async Task Secrets_NeverAppearInStoredRowsOrTheApplicationLog()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var service = factory.Get<ScimAdministration>();
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes("ides:" + PortalFactory.IdesToken));
        const string password = "P@ssw0rd-never-logged-42";

        using var bearer = factory.Scim(PortalFactory.IdesToken);
        await bearer.GetAsync("scim/v2/Users");
        await bearer.GetAsync("scim/v2/Users?access_token=" + PortalFactory.IdesToken);
        using var create = new StringContent($$"""{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"pw@ides.example","password":"{{password}}"}""", Encoding.UTF8, "application/scim+json");
        await bearer.PostAsync("scim/v2/Users", create);
        using var basicClient = factory.Scim();
        basicClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", basic);
        await basicClient.GetAsync("scim/v2/Groups");
        using var wrong = factory.Scim(PortalFactory.AcmeToken, host: "ides.localhost");
        await wrong.GetAsync("scim/v2/Users");
        using var wrongBasic = factory.Scim();
        wrongBasic.DefaultRequestHeaders.Authorization = AccessFactory.Basic("acme", PortalFactory.IdesToken);
        await wrongBasic.GetAsync("scim/v2/Users");

        await service.RevealTokenAsync(admin, "ides", copied: true);
        var issued = await service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.OneHour, await factory.CurrentTokenIdAsync("ides"));
        using var fresh = factory.Scim(issued.Token);
        await fresh.GetAsync("scim/v2/Users");
        await factory.FlushAsync();

        string[] secrets = [PortalFactory.IdesToken, PortalFactory.AcmeToken, issued.Token, basic, password, ScimCredentials.Prefix];
        var rows = await factory.EventsAsync();
        Assert.True(rows.Count >= 9);
        var stored = string.Join('\n', rows.Select(e => string.Join('|', e.Actor, e.Path, e.ResourceId, e.ResourceType, e.Summary, e.ClientIp, e.Method)));
        var credentials = await factory.WithDbAsync(db => db.ScimCredentials.AsNoTracking().ToListAsync());
        stored += string.Join('\n', credentials.Select(c => string.Join('|', c.LastUsedUserAgent, c.LastUsedIp, c.CreatedBy)));
        var log = factory.Logs.All;
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
        }
    }

    private static Task<ScimCredential> CurrentAsync(AccessFactory factory, string slug) =>
        factory.WithDbAsync(db => db.ScimCredentials.AsNoTracking().SingleAsync(c => c.Settings!.Workspace!.Slug == slug && c.ExpiresAt == null));
}
