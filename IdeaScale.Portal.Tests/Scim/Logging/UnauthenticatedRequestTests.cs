using System.Net;

using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Scim.Logging;

/// <summary>
/// Requests without valid credentials (issue 11, item 7): rate-limited per IP before they are recorded, never
/// attributed to a client by their User-Agent, and capped per workspace so a flood cannot grow the log without bound.
/// </summary>
public sealed class UnauthenticatedRequestTests
{
    private const string Probe = "scim/v2/Users";

    [Fact]
    public async Task Flood_OnAWorkspacesHost_RecordsAtMostTheCapThenOneSummaryAndNeverTheUserAgentsClient()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:ProvisioningLog:UnauthenticatedRowsPerWindow"] = "5",
            ["Scim:ProvisioningLog:UnauthenticatedWindow"] = "00:10:00",
        });
        var idesId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        using var forged = factory.Scim("iscim_not-a-real-token", host: "ides.localhost");
        forged.DefaultRequestHeaders.UserAgent.ParseAdd("Okta-SCIM-Client/2.0");
        forged.DefaultRequestHeaders.Add("Adscimversion", "2.0");

        for (var batch = 0; batch < 15; batch++)
        {
            var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => forged.GetAsync(Probe)));
            Assert.All(responses, r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        }

        await factory.FlushAsync();
        var rows = await IdesRowsAsync(factory, idesId);
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.Equal(ScimClients.Unauthenticated, r.Actor));
        Assert.All(rows, r => Assert.Equal(ProvisioningOperation.AuthenticationFailure, r.Operation));

        // After the window one summary row counts the rest.
        factory.Time.Advance(TimeSpan.FromMinutes(10));
        await factory.Get<UnauthenticatedRequestLog>().FlushAsync();
        await factory.FlushAsync();
        rows = await IdesRowsAsync(factory, idesId);
        Assert.Equal(6, rows.Count);
        var summary = Assert.Single(rows, r => r.Summary!.Contains("further unauthenticated requests", StringComparison.Ordinal));
        Assert.StartsWith("295 further", summary.Summary, StringComparison.Ordinal);
        Assert.Equal(ScimClients.Unauthenticated, summary.Actor);
        Assert.DoesNotContain(rows, r => r.Actor == ScimClients.Okta || r.Actor == ScimClients.EntraId);

        // The next window records again (up to the cap).
        await forged.GetAsync(Probe);
        await factory.FlushAsync();
        Assert.Equal(7, (await IdesRowsAsync(factory, idesId)).Count);
    }

    [Fact]
    public async Task FailedAuthentication_OverThePerIpLimit_Is429WithRetryAfterAndNotRecordedOneByOne()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Scim:RateLimit:UnauthenticatedPerIpPerMinute"] = "4",
            ["Scim:ProvisioningLog:UnauthenticatedRowsPerWindow"] = "100",
        });
        var idesId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());
        using var anonymous = factory.Scim(host: "ides.localhost");

        var statuses = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await anonymous.GetAsync(Probe);
            statuses.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
                await ScimAssert.ErrorAsync(response, 429);
            }
        }

        Assert.Equal(Enumerable.Repeat(401, 4).Concat(Enumerable.Repeat(429, 8)), statuses);

        // The limit charges failures only: the workspace's own token from the same address still works.
        using var idp = factory.Scim(PortalFactory.IdesToken, host: "ides.localhost");
        ScimAssert.Ok(await idp.GetAsync(Probe));

        await factory.FlushAsync();
        var rows = await IdesRowsAsync(factory, idesId);
        Assert.Equal(4, rows.Count(r => r.Actor == ScimClients.Unauthenticated));
        factory.Time.Advance(TimeSpan.FromMinutes(10));
        await factory.Get<UnauthenticatedRequestLog>().FlushAsync();
        await factory.FlushAsync();
        var summary = Assert.Single(await IdesRowsAsync(factory, idesId), r => (r.Summary ?? "").Contains("further unauthenticated", StringComparison.Ordinal));
        Assert.StartsWith("8 further", summary.Summary, StringComparison.Ordinal);
    }

    private static Task<List<ProvisioningEvent>> IdesRowsAsync(AccessFactory factory, Guid idesId) =>
        factory.WithDbAsync(db => db.ProvisioningEvents.AsNoTracking().Where(e => e.WorkspaceId == idesId && e.ActorKind == ActorKind.IdentityProvider).OrderBy(e => e.Id).ToListAsync());
}
