using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Workspaces;

namespace IdeaScale.Portal.Tests.Scim.Credentials.Tokens;

public sealed class TokenRotationTests
{
    private const string Probe = "scim/v2/Users";

    [Fact]
    public async Task Regenerate_WithoutGrace_OldTokenStopsAtOnceAndNewTokenWorks()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var issued = await factory.Get<ScimAdministration>().RegenerateTokenAsync(admin, "ides", TokenGracePeriod.None, await factory.CurrentTokenIdAsync("ides"));

        Assert.StartsWith(ScimCredentials.Prefix, issued.Token, StringComparison.Ordinal);
        Assert.Null(issued.PreviousTokenExpiresAt);
        using var old = factory.Scim(PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(await old.GetAsync(Probe), 401);
        using var oldBasic = factory.Scim();
        oldBasic.DefaultRequestHeaders.Authorization = AccessFactory.Basic("ides", PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(await oldBasic.GetAsync(Probe), 401);

        using var fresh = factory.Scim(issued.Token);
        ScimAssert.Ok(await fresh.GetAsync(Probe));
        using var freshBasic = factory.Scim();
        freshBasic.DefaultRequestHeaders.Authorization = AccessFactory.Basic("ides", issued.Token);
        ScimAssert.Ok(await freshBasic.GetAsync(Probe));

        var status = await factory.Get<ScimAdministration>().GetStatusAsync(admin, "ides");
        Assert.Null(status.PreviousTokenExpiresAt);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), status.TokenCreatedBy);
    }

    [Theory]
    [InlineData(TokenGracePeriod.OneHour, 1)]
    [InlineData(TokenGracePeriod.TwentyFourHours, 24)]
    public async Task Regenerate_WithGrace_BothTokensWorkUntilGraceEndsThenOnlyTheNewOne(TokenGracePeriod grace, int hours)
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var regeneratedAt = factory.Time.GetUtcNow().UtcDateTime;
        var issued = await factory.Get<ScimAdministration>().RegenerateTokenAsync(admin, "ides", grace, await factory.CurrentTokenIdAsync("ides"));

        Assert.Equal(regeneratedAt.AddHours(hours), issued.PreviousTokenExpiresAt);
        var status = await factory.Get<ScimAdministration>().GetStatusAsync(admin, "ides");
        Assert.Equal(regeneratedAt.AddHours(hours), status.PreviousTokenExpiresAt);

        using var old = factory.Scim(PortalFactory.IdesToken);
        using var fresh = factory.Scim(issued.Token);
        factory.Time.Advance(TimeSpan.FromHours(hours) - TimeSpan.FromSeconds(1));
        ScimAssert.Ok(await old.GetAsync(Probe));
        ScimAssert.Ok(await fresh.GetAsync(Probe));

        factory.Time.Advance(TimeSpan.FromSeconds(1));
        await ScimAssert.ErrorAsync(await old.GetAsync(Probe), 401);
        using var oldBasic = factory.Scim();
        oldBasic.DefaultRequestHeaders.Authorization = AccessFactory.Basic("ides", PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(await oldBasic.GetAsync(Probe), 401);
        ScimAssert.Ok(await fresh.GetAsync(Probe));

        status = await factory.Get<ScimAdministration>().GetStatusAsync(admin, "ides");
        Assert.Null(status.PreviousTokenExpiresAt);
    }

    [Fact]
    public async Task Regenerate_TwiceDuringGrace_RetiresTheOldestTokenAtOnce()
    {
        using var factory = new AccessFactory();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var service = factory.Get<ScimAdministration>();
        var second = await service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.OneHour, await factory.CurrentTokenIdAsync("ides"));
        var third = await service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.OneHour, await factory.CurrentTokenIdAsync("ides"));

        using var first = factory.Scim(PortalFactory.IdesToken);
        await ScimAssert.ErrorAsync(await first.GetAsync(Probe), 401);
        using var graced = factory.Scim(second.Token);
        ScimAssert.Ok(await graced.GetAsync(Probe));
        using var current = factory.Scim(third.Token);
        ScimAssert.Ok(await current.GetAsync(Probe));
    }
}
