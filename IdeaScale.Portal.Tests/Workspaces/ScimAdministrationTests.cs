using IdeaScale.Portal.Scim.Credentials;
using IdeaScale.Portal.Scim.Credentials.Tokens;
using IdeaScale.Portal.Scim.Tenancy;
using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;
using IdeaScale.Portal.Workspaces.ProvisioningHealth;

using Microsoft.EntityFrameworkCore;

namespace IdeaScale.Portal.Tests.Workspaces;

public sealed class ScimAdministrationTests
{
    [Fact]
    public async Task SetScimEnabledAsync_ByWorkspaceAdmin_IsRefusedChangesNothingAndIsAudited()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));
        var before = await factory.WithDbAsync(db => db.ScimSettings.AsNoTracking().SingleAsync(s => s.Workspace!.Slug == "ides"));

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.SetScimEnabledAsync(admin, "ides", enabled: false, reason: "Contract paused"));

        var after = await factory.WithDbAsync(db => db.ScimSettings.AsNoTracking().SingleAsync(s => s.Workspace!.Slug == "ides"));
        Assert.True(after.Enabled);
        Assert.Equal(before.EnabledChangedAt, after.EnabledChangedAt);
        Assert.Equal(before.EnabledChangedBy, after.EnabledChangedBy);
        using var client = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync("scim/v2/Users"));

        var refused = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ScimDisabled);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(ActorKind.WorkspaceAdmin, refused.ActorKind);
        Assert.Equal(DemoSeeder.AdminEmail("ides"), refused.Actor);
    }

    [Fact]
    public async Task SetScimEnabledAsync_ByCsm_ChangesAndAuditsWithTheCsmsEmail()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        factory.Time.Advance(TimeSpan.FromMinutes(5));
        var now = factory.Time.GetUtcNow().UtcDateTime;

        await service.SetScimEnabledAsync(csm, "acme", enabled: false, reason: "Contract paused");
        await service.SetScimEnabledAsync(csm, "acme", enabled: false, reason: "Contract paused"); // no change, no second audit
        await service.SetScimEnabledAsync(csm, "acme", enabled: true);

        var events = (await factory.EventsAsync()).Where(e => e.Operation is ProvisioningOperation.ScimEnabled or ProvisioningOperation.ScimDisabled).ToList();
        Assert.Equal([ProvisioningOperation.ScimDisabled, ProvisioningOperation.ScimEnabled], events.Select(e => e.Operation));
        Assert.All(events, e =>
        {
            Assert.Equal(DemoSeeder.CsmEmail, e.Actor);
            Assert.Equal(ActorKind.CustomerSuccess, e.ActorKind);
            Assert.Equal(EventOutcome.Success, e.Outcome);
            Assert.Equal(now, e.OccurredAt);
        });
        var acmeId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "acme").Select(w => w.Id).SingleAsync());
        Assert.All(events, e => Assert.Equal(acmeId, e.WorkspaceId));

        var status = await service.GetStatusAsync(csm, "acme");
        Assert.True(status.ScimEnabled);
        Assert.Equal(DemoSeeder.CsmEmail, status.ScimEnabledChangedBy);
        Assert.Equal(now, status.ScimEnabledChangedAt);
    }

    [Fact]
    public async Task SetScimEnabledAsync_EnableWhileSsoInactive_IsRefusedAndAuditedAsAFailure()
    {
        using var factory = new AccessFactory();
        // nosso has no assigned CSM: the lead may switch it, so the refusal is the SSO rule's.
        var lead = await factory.PrincipalAsync(DemoSeeder.LeadEmail);
        var now = factory.Time.GetUtcNow().UtcDateTime;

        await Assert.ThrowsAsync<InvalidOperationException>(() => factory.Get<ScimAdministration>().SetScimEnabledAsync(lead, "nosso", enabled: true));

        Assert.False(await factory.WithDbAsync(db => db.ScimSettings.Where(s => s.Workspace!.Slug == "nosso").Select(s => s.Enabled).SingleAsync()));
        var refused = Assert.Single(await factory.EventsAsync());
        Assert.Equal(await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "nosso").Select(w => (Guid?)w.Id).SingleAsync()), refused.WorkspaceId);
        Assert.Equal(ProvisioningOperation.ScimEnabled, refused.Operation);
        Assert.Equal(EventOutcome.Failure, refused.Outcome);
        Assert.Equal(ActorKind.CustomerSuccess, refused.ActorKind);
        Assert.Equal(DemoSeeder.LeadEmail, refused.Actor);
        Assert.Equal(now, refused.OccurredAt);
        Assert.Equal("Refused: SCIM can only be enabled while the workspace's SSO configuration is active.", refused.Summary);
    }

    [Fact]
    public async Task TokenActions_ByAdminOfAnotherWorkspaceOrCsm_AreRefused()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var acmeAdmin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.GetStatusAsync(acmeAdmin, "ides"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RevealTokenAsync(acmeAdmin, "ides", copied: true));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RegenerateTokenAsync(acmeAdmin, "ides", TokenGracePeriod.None, null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RevealTokenAsync(csm, "ides", copied: false));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.GetStatusAsync(acmeAdmin, "no-such-workspace"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RegenerateTokenAsync(acmeAdmin, "no-such-workspace", TokenGracePeriod.None, null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.ListWorkspacesAsync(acmeAdmin));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.GetStatusAsync(new System.Security.Claims.ClaimsPrincipal(), "ides"));

        using var client = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync("scim/v2/Users"));
    }

    [Fact]
    public async Task TokenActions_RefusedAttempts_AreAuditedAsFailuresWithTheActingAccount()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var acmeAdmin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("acme"));
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var idesId = await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "ides").Select(w => (Guid?)w.Id).SingleAsync());

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RegenerateTokenAsync(acmeAdmin, "ides", TokenGracePeriod.None, null));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RevealTokenAsync(acmeAdmin, "ides", copied: true));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RevealTokenAsync(csm, "ides", copied: false));
        // Reads and an unknown workspace leave no audit row: nothing's access could change.
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.GetStatusAsync(acmeAdmin, "ides"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.RegenerateTokenAsync(acmeAdmin, "no-such-workspace", TokenGracePeriod.None, null));

        var events = await factory.EventsAsync();
        Assert.Equal(
            [
                (ProvisioningOperation.TokenRegenerated, ActorKind.System, DemoSeeder.AdminEmail("acme")),
                (ProvisioningOperation.TokenCopied, ActorKind.System, DemoSeeder.AdminEmail("acme")),
                (ProvisioningOperation.TokenRevealed, ActorKind.CustomerSuccess, DemoSeeder.CsmEmail),
            ],
            events.Select(e => (e.Operation, e.ActorKind, e.Actor)));
        Assert.All(events, e =>
        {
            Assert.Equal(EventOutcome.Failure, e.Outcome);
            Assert.Equal(idesId, e.WorkspaceId);
            Assert.Equal("Refused: Only administrators of this workspace can manage its SCIM token.", e.Summary);
        });

        // The refused regeneration issued nothing: the seeded token still works.
        using var client = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await client.GetAsync("scim/v2/Users"));
    }

    [Fact]
    public async Task RevealTokenAsync_ByAdmin_ReturnsTheTokenAndAuditsRevealAndCopy()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));

        Assert.Equal(PortalFactory.IdesToken, await service.RevealTokenAsync(admin, "ides", copied: false));
        Assert.Equal(PortalFactory.IdesToken, await service.RevealTokenAsync(admin, "ides", copied: true));
        var issued = await service.RegenerateTokenAsync(admin, "ides", TokenGracePeriod.OneHour, await factory.CurrentTokenIdAsync("ides"));
        Assert.Equal(issued.Token, await service.RevealTokenAsync(admin, "ides", copied: true));

        var audits = (await factory.EventsAsync()).Where(e => e.ActorKind == ActorKind.WorkspaceAdmin).ToList();
        Assert.Equal(
            [ProvisioningOperation.TokenRevealed, ProvisioningOperation.TokenCopied, ProvisioningOperation.TokenRegenerated, ProvisioningOperation.TokenCopied],
            audits.Select(e => e.Operation));
        Assert.All(audits, e => Assert.Equal(DemoSeeder.AdminEmail("ides"), e.Actor));
        Assert.All(audits, e => Assert.Equal(EventOutcome.Success, e.Outcome));
        Assert.Contains("previous token works until", audits[2].Summary, StringComparison.Ordinal);
        Assert.All(audits, e => Assert.DoesNotContain(ScimCredentials.Prefix, e.Summary ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetStatusAsync_ShowsSetupCsmAndHealthFromNeverContactedToFailingToHealthy()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("ides"));

        var status = await service.GetStatusAsync(admin, "ides");
        Assert.Equal(ScimAvailability.Enabled, status.Availability);
        Assert.Equal("http://ides.localhost:5080/scim/v2", status.BaseUrl);
        Assert.Equal("Casey Success (CSM)", status.CsmName);
        Assert.Equal(DemoSeeder.CsmEmail, status.CsmEmail);
        Assert.Equal("seed", status.TokenCreatedBy);
        Assert.NotNull(status.TokenCreatedAt);
        Assert.Equal(HealthState.NeverContacted, status.Health.State);
        Assert.Null(status.LastUse);
        Assert.True(status.CanManageToken);
        Assert.False(status.CanToggleScim);

        // Entra calls with a body too large for the server: a failure, seen before the background flush.
        using var entra = factory.Scim(PortalFactory.IdesToken);
        entra.DefaultRequestHeaders.UserAgent.ParseAdd("Azure-AD-SCIM/1.0");
        entra.DefaultRequestHeaders.Add("Adscimversion", "1.0");
        var failedAt = factory.Time.GetUtcNow().UtcDateTime;
        using (var big = new ByteArrayContent(new byte[1024 * 1024 + 1]))
        {
            big.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/scim+json");
            await ScimAssert.ErrorAsync(await entra.PostAsync("scim/v2/Users", big), 413);
        }

        // The status is computed from the provisioning log (written in the background within its batch window).
        await factory.Get<IdeaScale.Portal.Scim.Logging.ProvisioningLogWriter>().FlushAsync();
        status = await service.GetStatusAsync(admin, "ides");
        Assert.Equal(HealthState.Failing, status.Health.State);
        Assert.Equal(1, status.Health.Failures);
        Assert.Equal(413, status.LastFailureStatus);
        Assert.Equal(ScimClients.EntraId, status.LastUse!.Client);

        // Written to the database by the flush, the facts are the same.
        await factory.FlushAsync();
        Assert.Null(factory.Get<ScimCredentialUsage>().Pending(await CurrentCredentialIdAsync(factory)));
        status = await service.GetStatusAsync(admin, "ides");
        Assert.Equal(HealthState.Failing, status.Health.State);

        // Okta then succeeds (an authenticated request that is not a failure: 404 on an unknown id is ordinary).
        factory.Time.Advance(TimeSpan.FromMinutes(1));
        using var okta = factory.Scim(PortalFactory.IdesToken);
        okta.DefaultRequestHeaders.UserAgent.ParseAdd("Okta-SCIM-Client/2.0");
        await ScimAssert.ErrorAsync(await okta.GetAsync("scim/v2/Users/00919288221112222"), 404);
        await factory.FlushAsync();
        status = await service.GetStatusAsync(admin, "ides");
        // One failure in two requests: some failures, not most (the window, not the last request, decides).
        Assert.Equal(HealthState.Degraded, status.Health.State);
        Assert.Equal(2, status.Health.Requests);
        Assert.Equal(ScimClients.Okta, status.LastUse!.Client);
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime, status.LastSuccessAt);
        Assert.Equal(failedAt, status.LastFailureAt);
    }

    [Fact]
    public async Task GetStatusAsync_ReportsSsoInactiveAndScimDisabledStates()
    {
        using var factory = new AccessFactory();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var service = factory.Get<ScimAdministration>();
        Assert.Equal(ScimAvailability.SsoInactive, (await service.GetStatusAsync(csm, "nosso")).Availability);
        await service.SetScimEnabledAsync(csm, "acme", enabled: false, reason: "Contract paused");
        var acme = await service.GetStatusAsync(csm, "acme");
        Assert.Equal(ScimAvailability.ScimDisabled, acme.Availability);
        Assert.True(acme.CanToggleScim);
        Assert.False(acme.CanManageToken);
    }

    [Fact]
    public async Task ListWorkspacesAsync_ForCsm_ListsEveryWorkspaceAndSearches()
    {
        using var factory = new AccessFactory();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var service = factory.Get<ScimAdministration>();
        var all = await service.ListWorkspacesAsync(csm);
        Assert.Equal(["acme", "ides", "nosso"], all.Select(w => w.Slug).Order());
        var nosso = all.Single(w => w.Slug == "nosso");
        Assert.False(nosso.SsoActive);
        Assert.Null(nosso.CsmEmail);
        Assert.Equal("ides", Assert.Single(await service.ListWorkspacesAsync(csm, "ideas")).Slug);
        Assert.Empty(await service.ListWorkspacesAsync(csm, "%"));
    }

    private static Task<Guid> CurrentCredentialIdAsync(AccessFactory factory) =>
        factory.WithDbAsync(db => db.ScimCredentials.Where(c => c.Settings!.Workspace!.Slug == "ides" && c.ExpiresAt == null).Select(c => c.Id).SingleAsync());
}
