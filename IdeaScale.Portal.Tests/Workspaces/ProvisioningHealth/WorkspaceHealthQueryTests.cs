using IdeaScale.Portal.Scim.Logging;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;
using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Workspaces.ProvisioningHealth;

/// <summary>The connection status read from the real database (SQLite or PostgreSQL) through the real SCIM pipeline.</summary>
public sealed class WorkspaceHealthQueryTests
{
    private static async Task AddRequestsAsync(AccessFactory factory, string slug, DateTime from, TimeSpan step, params int[] statuses)
    {
        var id = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == slug).Select(w => w.Id).SingleAsync());
        await factory.WithDbAsync(async db =>
        {
            for (var i = 0; i < statuses.Length; i++)
            {
                db.ProvisioningEvents.Add(new ProvisioningEvent
                {
                    WorkspaceId = id,
                    OccurredAt = from + (step * i),
                    ActorKind = ActorKind.IdentityProvider,
                    Actor = "Microsoft Entra ID",
                    Operation = ProvisioningOperation.List,
                    Outcome = statuses[i] < 400 ? EventOutcome.Success : EventOutcome.Failure,
                    Method = "GET",
                    Path = "/scim/v2/Users",
                    StatusCode = statuses[i],
                });
            }

            await db.SaveChangesAsync();
        });
    }

    [Fact]
    public async Task ListWorkspacesAsync_EachWorkspacesStatusFromItsOwnWindow()
    {
        using var factory = new AccessFactory();
        var now = factory.Time.GetUtcNow().UtcDateTime;
        // ides: Entra's 40-minute cycles, most requests failing; acme: the same cycles, all succeeding.
        await AddRequestsAsync(factory, "ides", now.AddMinutes(-160), TimeSpan.FromMinutes(40), 500, 500, 200, 500, 500);
        await AddRequestsAsync(factory, "acme", now.AddMinutes(-160), TimeSpan.FromMinutes(40), 200, 200, 404, 200, 200);
        var lead = await factory.PrincipalAsync(DemoSeeder.LeadEmail);

        var rows = await factory.Get<ScimAdministration>().ListWorkspacesAsync(lead);

        var ides = rows.Single(r => r.Slug == "ides").Health!;
        Assert.Equal(HealthState.Failing, ides.State);
        Assert.Equal((5, 4), (ides.Requests, ides.Failures));
        Assert.Equal(TimeSpan.FromMinutes(40), ides.Cadence);
        Assert.True(ides.QuarantineRisk);
        var acme = rows.Single(r => r.Slug == "acme").Health!;
        Assert.Equal(HealthState.Healthy, acme.State);
        Assert.Equal(0, acme.Failures); // 404 is an ordinary answer (Entra probes for users that do not exist)
        Assert.Equal(HealthState.NeverContacted, rows.Single(r => r.Slug == "nosso").Health!.State);

        // Two Entra cycles later without a call, ides's IdP is overdue: Silent, whatever its failure rate.
        factory.Time.Advance(TimeSpan.FromMinutes(81));
        rows = await factory.Get<ScimAdministration>().ListWorkspacesAsync(lead);
        Assert.Equal(HealthState.Silent, rows.Single(r => r.Slug == "ides").Health!.State);
        Assert.Equal(SilenceReason.OverdueCycle, rows.Single(r => r.Slug == "acme").Health!.Silence);
    }

    [Fact]
    public async Task ForAsync_ManyWorkspaces_SameNumberOfQueriesAsOne()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Information",
        });
        var now = factory.Time.GetUtcNow().UtcDateTime;
        await AddRequestsAsync(factory, "ides", now.AddHours(-2), TimeSpan.FromMinutes(30), 200, 200, 500);
        await AddRequestsAsync(factory, "acme", now.AddHours(-2), TimeSpan.FromMinutes(30), 200, 200);
        var query = factory.Get<WorkspaceHealthQuery>();
        var ids = await factory.WithDbAsync(db => db.Workspaces.Select(w => w.Id).ToListAsync());
        Assert.True(ids.Count >= 3);

        int Commands() => factory.Logs.Lines.Count(l => l.Contains("Executed DbCommand", StringComparison.Ordinal));
        var statuses = await factory.WithDbAsync(async db =>
        {
            var before = Commands();
            await query.ForAsync(db, [ids[0]]);
            var one = Commands() - before;
            before = Commands();
            var all = await query.ForAsync(db, ids);
            Assert.Equal(one, Commands() - before);
            return all;
        });

        Assert.Equal(ids.Count, statuses.Count);
        Assert.Contains(statuses.Values, s => s.State == HealthState.Degraded);
    }

    [Fact]
    public async Task GetStatusAsync_OldTokensRefusedAfterRegeneration_TurnsSilentThenHealthyWithTheNewToken()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        var service = factory.Get<ScimAdministration>();
        var oldToken = await factory.RevealAsync("acme");
        using (var entra = factory.Scim(oldToken, host: "acme.localhost"))
        {
            ScimAssert.Ok(await entra.GetAsync("scim/v2/Users"));
        }

        factory.Time.Advance(TimeSpan.FromMinutes(5));
        var issued = await service.RegenerateTokenAsync(admin, "acme", TokenGracePeriod.None, await factory.CurrentTokenIdAsync("acme"));
        var replacedAt = factory.Time.GetUtcNow().UtcDateTime;

        // Entra keeps the old token: every request is refused on the workspace's own host.
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using (var entra = factory.Scim(oldToken, host: "acme.localhost"))
        {
            for (var i = 0; i < 3; i++)
            {
                await ScimAssert.ErrorAsync(await entra.GetAsync("scim/v2/Users"), 401);
            }
        }

        await factory.FlushAsync();
        var status = await service.GetStatusAsync(admin, "acme");
        Assert.Equal(HealthState.Silent, status.Health.State);
        Assert.Equal(SilenceReason.OldTokenRefused, status.Health.Silence);
        Assert.Contains("still uses the old token", status.Health.Explanation, StringComparison.Ordinal);
        Assert.Equal(replacedAt, status.Health.LogFrom);
        Assert.True(status.Health.LogOnlyAuthenticationFailures);

        // The admin pastes the new token: accepted requests end the silence.
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using (var entra = factory.Scim(issued.Token, host: "acme.localhost"))
        {
            ScimAssert.Ok(await entra.GetAsync("scim/v2/Users"));
        }

        await factory.Get<ProvisioningLogWriter>().FlushAsync();
        status = await service.GetStatusAsync(admin, "acme");
        Assert.NotEqual(HealthState.Silent, status.Health.State);
        Assert.Equal(HealthState.Failing, status.Health.State); // 3 of 5 requests of the window failed
    }

    [Fact]
    public async Task ManageableAsync_WithHealth_DashboardCardsCarryTheStatus()
    {
        using var factory = new AccessFactory();
        var now = factory.Time.GetUtcNow().UtcDateTime;
        await AddRequestsAsync(factory, "ides", now.AddMinutes(-20), TimeSpan.FromMinutes(5), 200, 200, 429, 200);
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        await using var scope = factory.Services.CreateAsyncScope();
        var access = scope.ServiceProvider.GetRequiredService<WorkspaceAccess>();

        var cards = await access.ManageableAsync(admin, withHealth: true);
        var plain = await access.ManageableAsync(admin);

        Assert.Equal(HealthState.Degraded, cards.Single(c => c.Slug == "ides").Health!.State);
        Assert.All(plain, c => Assert.Null(c.Health));
    }
}
