using System.Security.Claims;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials;
using IdeaScale.Portal.Workspaces;

using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IdeaScale.Portal.Tests.Workspaces;

/// <summary>
/// Issue 11, item 10: only a workspace's assigned CSM (or a CustomerSuccessLead) switches its SCIM; only a lead
/// assigns CSMs; every change and every refused attempt is audited. Enforced by ScimAdministration on the server.
/// </summary>
public sealed class CsmScopeTests
{
    [Fact]
    public async Task SetScimEnabledAsync_ByACsmNotAssignedToTheWorkspace_IsRefusedChangesNothingAndIsAudited()
    {
        using var factory = new AccessFactory();
        var other = await AddCsmAsync(factory, "other.csm@ideascale.example");

        var refused = await Assert.ThrowsAsync<UnauthorizedAccessException>(() => factory.Get<ScimAdministration>().SetScimEnabledAsync(other, "ides", enabled: false, reason: "Contract paused"));

        Assert.Contains("assigned Customer Success Manager", refused.Message, StringComparison.Ordinal);
        Assert.True(await ScimEnabledAsync(factory, "ides"));
        using var idp = factory.Scim(PortalFactory.IdesToken);
        ScimAssert.Ok(await idp.GetAsync("scim/v2/Users"));
        var audit = Assert.Single(await factory.EventsAsync(), e => e.Operation == ProvisioningOperation.ScimDisabled);
        Assert.Equal((EventOutcome.Failure, ActorKind.CustomerSuccess, "other.csm@ideascale.example"), (audit.Outcome, audit.ActorKind, audit.Actor));

        var overview = await factory.Get<ScimAdministration>().ListWorkspacesAsync(other);
        Assert.All(overview, w => Assert.False(w.CanToggleScim));
        Assert.False((await factory.Get<ScimAdministration>().GetStatusAsync(other, "ides")).CanToggleScim);
    }

    [Fact]
    public async Task SetScimEnabledAsync_ByTheAssignedCsmOrALead_Changes()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var lead = await factory.PrincipalAsync(DemoSeeder.LeadEmail);

        await service.SetScimEnabledAsync(csm, "ides", enabled: false, reason: "Contract paused");
        Assert.False(await ScimEnabledAsync(factory, "ides"));
        await service.SetScimEnabledAsync(lead, "ides", enabled: true);
        Assert.True(await ScimEnabledAsync(factory, "ides"));

        Assert.All(await service.ListWorkspacesAsync(lead), w => Assert.True(w.CanToggleScim));
        var byCsm = await service.ListWorkspacesAsync(csm);
        Assert.True(byCsm.Single(w => w.Slug == "ides").CanToggleScim);
        Assert.False(byCsm.Single(w => w.Slug == "nosso").CanToggleScim);
        var events = (await factory.EventsAsync()).Where(e => e.Operation is ProvisioningOperation.ScimEnabled or ProvisioningOperation.ScimDisabled).ToList();
        Assert.Equal([DemoSeeder.CsmEmail, DemoSeeder.LeadEmail], events.Select(e => e.Actor));
        Assert.All(events, e => Assert.Equal(EventOutcome.Success, e.Outcome));
    }

    [Fact]
    public async Task AssignCsmAsync_ByLead_MovesTheRightToSwitchAndIsAudited()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var lead = await factory.PrincipalAsync(DemoSeeder.LeadEmail);
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var other = await AddCsmAsync(factory, "other.csm@ideascale.example");
        var otherId = other.FindFirstValue(ClaimTypes.NameIdentifier)!;

        var choices = await service.ListCustomerSuccessManagersAsync(lead);
        Assert.Contains(choices, c => c.Email == "other.csm@ideascale.example");
        Assert.Contains(choices, c => c.Email == DemoSeeder.CsmEmail);

        await service.AssignCsmAsync(lead, "ides", otherId);

        await service.SetScimEnabledAsync(other, "ides", enabled: false, reason: "Contract paused");
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.SetScimEnabledAsync(csm, "ides", enabled: true));
        Assert.False(await ScimEnabledAsync(factory, "ides"));
        var row = (await service.ListWorkspacesAsync(lead)).Single(w => w.Slug == "ides");
        Assert.Equal(("other.csm@ideascale.example", otherId), (row.CsmEmail, row.CsmId));

        await service.AssignCsmAsync(lead, "ides", null);
        Assert.Null((await service.ListWorkspacesAsync(lead)).Single(w => w.Slug == "ides").CsmId);

        var audit = (await factory.EventsAsync()).Where(e => e.Operation == ProvisioningOperation.CsmAssigned).ToList();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, e => Assert.Equal((EventOutcome.Success, DemoSeeder.LeadEmail, ActorKind.CustomerSuccess), (e.Outcome, e.Actor, e.ActorKind)));
        Assert.Contains("from Casey Success (CSM) (csm@ideascale.example) to other (other.csm@ideascale.example)", audit[0].Summary, StringComparison.Ordinal);
        Assert.Contains("to nobody", audit[1].Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssignCsmAsync_ByACsmOrAnAdmin_IsRefusedAndAudited_AndOnlyCsmAccountsCanBeAssigned()
    {
        using var factory = new AccessFactory();
        var service = factory.Get<ScimAdministration>();
        var csm = await factory.PrincipalAsync(DemoSeeder.CsmEmail);
        var csmId = csm.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var admin = await factory.PrincipalAsync(DemoSeeder.AdminEmail("nosso"));
        var adminId = admin.FindFirstValue(ClaimTypes.NameIdentifier)!;
        var lead = await factory.PrincipalAsync(DemoSeeder.LeadEmail);

        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.AssignCsmAsync(csm, "nosso", csmId));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.AssignCsmAsync(admin, "nosso", adminId));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => service.ListCustomerSuccessManagersAsync(csm));
        await Assert.ThrowsAsync<InvalidOperationException>(() => service.AssignCsmAsync(lead, "nosso", adminId));

        Assert.Null(await factory.WithDbAsync(db => db.Workspaces.Where(w => w.Slug == "nosso").Select(w => w.CustomerSuccessManagerId).SingleAsync()));
        var refused = (await factory.EventsAsync()).Where(e => e.Operation == ProvisioningOperation.CsmAssigned).ToList();
        Assert.Equal(3, refused.Count);
        Assert.All(refused, e => Assert.Equal(EventOutcome.Failure, e.Outcome));
        Assert.Equal([DemoSeeder.CsmEmail, DemoSeeder.AdminEmail("nosso"), DemoSeeder.LeadEmail], refused.Select(e => e.Actor));
    }

    internal static async Task<ClaimsPrincipal> AddCsmAsync(PortalFactory factory, string email)
    {
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var user = new PortalUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = email.Split('.')[0] };
            Assert.True((await users.CreateAsync(user, PortalFactory.CsmPassword)).Succeeded);
            Assert.True((await users.AddToRoleAsync(user, Roles.CustomerSuccess)).Succeeded);
            return new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, email)], "Test"));
        }
    }

    private static Task<bool> ScimEnabledAsync(AccessFactory factory, string slug) =>
        factory.WithDbAsync(db => db.ScimSettings.Where(s => s.Workspace!.Slug == slug).Select(s => s.Enabled).SingleAsync());
}
