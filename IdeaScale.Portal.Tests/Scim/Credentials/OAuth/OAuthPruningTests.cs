using IdeaScale.Portal.Scim.Credentials.OAuth;
using IdeaScale.Portal.Tests.Infrastructure;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using OpenIddict.Abstractions;

using static OpenIddict.Abstractions.OpenIddictConstants;

namespace IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

/// <summary>
/// OpenIddict's token and authorization rows are pruned (issue 12, housekeeping): dead rows older than the threshold
/// go, live ones and recent ones stay; the hosted service runs on the app's clock.
/// </summary>
public sealed class OAuthPruningTests
{
    [Fact]
    public async Task Prune_removes_dead_rows_older_than_the_threshold_and_keeps_live_and_recent_ones()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["OAuth:Pruning:Interval"] = "00:00:00" });
        var now = factory.Time.GetUtcNow();
        await SeedAsync(factory, now);

        var (tokens, authorizations) = await factory.Get<OAuthPruning>().PruneAsync();

        Assert.Equal(["old-live", "recent-revoked"], await TokenSubjectsAsync(factory));
        Assert.Equal(["old-valid", "recent-revoked"], await AuthorizationSubjectsAsync(factory));
        Assert.Equal(2, tokens);
        Assert.Equal(1, authorizations);
    }

    [Fact]
    public async Task The_hosted_service_prunes_when_the_interval_passes_on_the_app_clock()
    {
        using var factory = AccessFactory.With(new Dictionary<string, string?> { ["OAuth:Pruning:Interval"] = "01:00:00" });
        var now = factory.Time.GetUtcNow();
        await SeedAsync(factory, now);

        // Nothing happens before the interval; then one tick prunes.
        factory.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.Contains("old-revoked", await TokenSubjectsAsync(factory));
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await TokenSubjectsAsync(factory)).Contains("old-revoked") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(["old-live", "recent-revoked"], await TokenSubjectsAsync(factory));
    }

    /// <summary>
    /// Tokens and authorizations of the ides client: old (30 days, beyond the 14-day default threshold) revoked,
    /// old expired, old live, recent revoked; OpenIddict compares expiry with the system clock, which the test
    /// clock starts at.
    /// </summary>
    private static async Task SeedAsync(AccessFactory factory, DateTimeOffset now)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PortalDbContext>();
        var applicationId = await db.ScimOAuthClients.Where(c => c.ClientId == PortalFactory.IdesOAuthClientId).Select(c => c.ApplicationId).SingleAsync();
        var tokens = scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>();
        var authorizations = scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>();
        var old = now.AddDays(-30);
        foreach (var (subject, created, expires, status) in new[]
        {
            ("old-revoked", old, now.AddDays(1), Statuses.Revoked),
            ("old-expired", old, now.AddDays(-1), Statuses.Valid),
            ("old-live", old, now.AddDays(30), Statuses.Valid),
            ("recent-revoked", now.AddDays(-1), now.AddDays(1), Statuses.Revoked),
        })
        {
            await tokens.CreateAsync(new OpenIddictTokenDescriptor
            {
                ApplicationId = applicationId,
                Subject = subject,
                CreationDate = created,
                ExpirationDate = expires,
                Status = status,
                Type = TokenTypeHints.AccessToken,
            });
        }

        foreach (var (subject, created, status) in new[]
        {
            ("old-revoked", old, Statuses.Revoked),
            ("old-valid", old, Statuses.Valid),
            ("recent-revoked", now.AddDays(-1), Statuses.Revoked),
        })
        {
            await authorizations.CreateAsync(new OpenIddictAuthorizationDescriptor
            {
                ApplicationId = applicationId,
                Subject = subject,
                CreationDate = created,
                Status = status,
                Type = AuthorizationTypes.Permanent,
            });
        }
    }

    private static Task<List<string?>> TokenSubjectsAsync(AccessFactory factory) => factory.WithDbAsync(db =>
        db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreToken>().Select(t => t.Subject).OrderBy(s => s).ToListAsync());

    private static Task<List<string?>> AuthorizationSubjectsAsync(AccessFactory factory) => factory.WithDbAsync(db =>
        db.Set<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreAuthorization>().Select(a => a.Subject).OrderBy(s => s).ToListAsync());
}
