using System.Security.Claims;

using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Scim.Credentials.Tokens;

/// <summary>
/// Token regeneration is atomic (issue 11, item 6): of several admins or tabs confirming "Regenerate" for the same
/// token at once exactly one wins, the database holds at most one current token, the grace applies to exactly the
/// token that was current, and the losers change nothing and are told who won.
/// </summary>
public sealed class ConcurrentRegenerationTests
{
    private const string Probe = "scim/v2/Users";

    [Fact]
    public async Task Regenerate_ThreeAdminsAtOnce_OneWinsOthersConflictAndOnlyTheWinnersAndTheGracedTokenWork()
    {
        using var factory = new AccessFactory();
        var admins = new[] { await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides")), await AddAdminAsync(factory, "second"), await AddAdminAsync(factory, "third") };
        var service = factory.Get<ScimAdministration>();
        var idpToken = PortalFactory.IdesToken;

        // Three rounds: each starts from the token the previous round left current, as the three tabs would see it.
        for (var round = 0; round < 3; round++)
        {
            var seen = await factory.CurrentTokenIdAsync("ides");
            Assert.NotNull(seen);
            var regeneratedAt = factory.Time.GetUtcNow().UtcDateTime;
            var attempts = admins.Select(a => Task.Run(() => service.RegenerateTokenAsync(a, "ides", TokenGracePeriod.OneHour, seen))).ToArray();
            await Task.WhenAll(attempts.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

            var won = await Assert.Single(attempts, t => t.IsCompletedSuccessfully);
            var lost = attempts.Where(t => !t.IsCompletedSuccessfully).Select(t => t.Exception!.GetBaseException()).ToList();
            Assert.Equal(2, lost.Count);
            Assert.All(lost, e => Assert.Contains("regenerated the SCIM token", Assert.IsType<ScimTokenConflictException>(e).Message, StringComparison.Ordinal));

            // The database: one current token (the winner's), the one it replaced in grace until the promised time.
            var credentials = await factory.WithDbAsync(db => db.ScimCredentials.AsNoTracking().Where(c => c.Settings!.Workspace!.Slug == "ides").ToListAsync());
            Assert.Equal(2, credentials.Count);
            var current = Assert.Single(credentials, c => c.ExpiresAt is null);
            Assert.Equal(ScimCredentials.Hash(won.Token), current.TokenHash);
            var graced = Assert.Single(credentials, c => c.ExpiresAt is not null);
            Assert.Equal(seen, graced.Id);
            Assert.Equal(regeneratedAt.AddHours(1), graced.ExpiresAt);
            Assert.Equal(won.PreviousTokenExpiresAt, graced.ExpiresAt);

            // The IdP's token keeps working for the grace period, the winner's new token works at once.
            using var idp = factory.Scim(idpToken);
            ScimAssert.Ok(await idp.GetAsync(Probe));
            using var fresh = factory.Scim(won.Token);
            ScimAssert.Ok(await fresh.GetAsync(Probe));

            var audit = (await factory.EventsAsync()).Where(e => e.Operation == ProvisioningOperation.TokenRegenerated && e.OccurredAt == regeneratedAt).ToList();
            Assert.Single(audit, e => e.Outcome == EventOutcome.Success);
            Assert.Equal(2, audit.Count(e => e.Outcome == EventOutcome.Failure));

            // The IdP gets the new token before the grace ends; the next round regenerates again.
            idpToken = won.Token;
            factory.Time.Advance(TimeSpan.FromMinutes(5));
        }
    }

    [Fact]
    public async Task Regenerate_FromAStaleTab_IsRefusedAndKeepsTheGracePromisedToTheIdp()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var service = factory.Get<ScimAdministration>();
        var seenByBothTabs = await factory.CurrentTokenIdAsync("ides");

        var first = await service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.TwentyFourHours, seenByBothTabs);
        var conflict = await Assert.ThrowsAsync<ScimTokenConflictException>(
            () => service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, seenByBothTabs));

        Assert.Contains(DemoSeeder.AdminEmail("ides"), conflict.Message, StringComparison.Ordinal);
        Assert.Equal(2, await factory.WithDbAsync(db => db.ScimCredentials.CountAsync(c => c.Settings!.Workspace!.Slug == "ides")));
        using var idp = factory.Scim(PortalFactory.IdesToken);
        factory.Time.Advance(TimeSpan.FromHours(23));
        ScimAssert.Ok(await idp.GetAsync(Probe));
        using var fresh = factory.Scim(first.Token);
        ScimAssert.Ok(await fresh.GetAsync(Probe));
        var refused = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.TokenRegenerated && e.Outcome == EventOutcome.Failure);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), refused.Actor);
    }

    [Fact]
    public async Task Issue_ConcurrentlyOnSeparateContexts_LeavesExactlyOneCurrentCredential()
    {
        using var factory = new AccessFactory();
        var workspaceId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "acme").Select(w => w.Id).SingleAsync());
        var seen = await factory.CurrentTokenIdAsync("acme");

        var attempts = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            await using var scope = factory.Services.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<ScimCredentials>().IssueAsync(workspaceId, $"tab {i}", seen, i % 2 == 0 ? TimeSpan.FromHours(1) : null);
        })).ToArray();
        await Task.WhenAll(attempts.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));

        var won = await Assert.Single(attempts, t => t.IsCompletedSuccessfully);
        Assert.All(attempts.Where(t => !t.IsCompletedSuccessfully), t => Assert.IsType<ScimTokenConflictException>(t.Exception!.GetBaseException()));
        var current = await factory.WithDbAsync(db => db.ScimCredentials.AsNoTracking().Where(c => c.WorkspaceId == workspaceId && c.ExpiresAt == null).ToListAsync());
        Assert.Equal(won.Credential.Id, Assert.Single(current).Id);
        using var fresh = factory.Scim(won.Token);
        ScimAssert.Ok(await fresh.GetAsync(Probe));
    }

    [Fact]
    public async Task Database_RefusesASecondCurrentCredentialAndANeverExpiringReplacedOne()
    {
        using var factory = new AccessFactory();
        var workspaceId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => w.Id).SingleAsync());

        await Assert.ThrowsAsync<DbUpdateException>(() => factory.WithDbAsync(async db =>
        {
            db.ScimCredentials.Add(new ScimCredential { WorkspaceId = workspaceId, CurrentWorkspaceId = workspaceId, TokenHash = ScimCredentials.Hash("a"), ProtectedToken = "x" });
            await db.SaveChangesAsync();
        }));
        await Assert.ThrowsAsync<DbUpdateException>(() => factory.WithDbAsync(async db =>
        {
            db.ScimCredentials.Add(new ScimCredential { WorkspaceId = workspaceId, TokenHash = ScimCredentials.Hash("b"), ProtectedToken = "x" });
            await db.SaveChangesAsync();
        }));

        Assert.Equal(1, await factory.WithDbAsync(db => db.ScimCredentials.CountAsync(c => c.WorkspaceId == workspaceId)));
    }

    private static async Task<ClaimsPrincipal> AddAdminAsync(AccessFactory factory, string name)
    {
        var email = $"{name}@ides.example";
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = name };
            Assert.True((await users.CreateAsync(user, PortalFactory.AdminPassword)).Succeeded);
            var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
            var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
            db.WorkspaceAdmins.Add(new WorkspaceAdmin { WorkspaceId = ides.Id, UserId = user.Id });
            await db.SaveChangesAsync();
        }

        return await factory.PrincipalAsync(email);
    }
}
