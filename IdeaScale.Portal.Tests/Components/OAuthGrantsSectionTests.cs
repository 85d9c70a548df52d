using System.Security.Claims;

using Bunit;

using IdeaScale.Portal.Scim.Credentials.AuthorizationCode;
using IdeaScale.Portal.Tests.Scim.Credentials;

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using GrantsSection = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.OAuthGrantsSection;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The SCIM page's "OAuth for Okta" method: the endpoints to paste, the grants admins gave, and revoke.</summary>
public sealed class OAuthGrantsSectionTests() : PortalComponentContext(AuthorizationCodeKit.OktaClient())
{
    private IRenderedComponent<GrantsSection> RenderSection(bool canManage = true) => Render<GrantsSection>(p => p
        .Add(s => s.Slug, "ides")
        .Add(s => s.BaseUrl, "http://ides.localhost:5080/scim/v2")
        .Add(s => s.CanManage, canManage));

    /// <summary>A grant as the consent page creates it, by ides's admin.</summary>
    private async Task<Guid> ConsentAsync()
    {
        await using var db = Db();
        var admin = await db.Users.SingleAsync(u => u.Email == DemoSeeder.AdminEmail("ides"));
        var ides = await db.Workspaces.SingleAsync(w => w.Slug == "ides");
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, admin.Id)], "Test"));
        await App.Services.GetRequiredService<OAuthGrants>().ConsentAsync(user, ides.Id, AuthorizationCodeKit.ClientId, ["scim", "offline_access"]);
        return await db.ScimOAuthGrants.Select(g => g.Id).SingleAsync();
    }

    [Fact]
    public void Shows_the_authorize_and_token_endpoints_with_copy_icons_and_no_grant_yet()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-no-grant]"));
        Assert.Equal("http://ides.localhost:5080/oauth/authorize", cut.Find("[data-testid=oauth-authorize-endpoint]").TextContent.Trim());
        Assert.NotNull(cut.Find("button[aria-label='Copy OAuth authorize endpoint']"));
        Assert.NotNull(cut.Find("button[aria-label='Copy OAuth token endpoint for Okta']"));
        Assert.Empty(cut.FindAll("[data-testid=okta-oauth-unconfigured]"));
    }

    [Fact]
    public async Task Lists_each_grant_with_the_client_who_consented_when_and_last_use()
    {
        await ConsentAsync();
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=oauth-grant-row]")));
        var row = cut.Find("[data-testid=oauth-grant-row]").TextContent;
        Assert.Contains("Okta", row, StringComparison.Ordinal);
        Assert.Contains(DemoSeeder.AdminEmail("ides"), row, StringComparison.Ordinal);
        Assert.Contains("ago", row, StringComparison.Ordinal);
        Assert.Contains("never", cut.Find("[data-testid=oauth-grant-last-used]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_asks_first_then_removes_the_grant_and_audits_it()
    {
        await ConsentAsync();
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=oauth-grant-row]")));

        InTurn(() => cut.Find($"button[aria-label='Revoke the OAuth grant of Okta given by {DemoSeeder.AdminEmail("ides")}']").Click());
        Providers.WaitForAssertion(() => Assert.Contains("Revoke Okta's access?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").First(b => b.TextContent.Trim() == "Revoke access").Click());
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-no-grant]"));

        await using var db = Db();
        Assert.Equal(0, await db.ScimOAuthGrants.CountAsync());
        var revoked = await db.ProvisioningEvents.SingleAsync(e => e.Operation == ProvisioningOperation.OAuthGrantRevoked);
        Assert.Equal((EventOutcome.Success, DemoSeeder.AdminEmail("ides")), (revoked.Outcome, revoked.Actor));
    }

    [Fact]
    public async Task Customer_success_sees_the_grants_but_no_revoke()
    {
        await ConsentAsync();
        SignInAs(DemoSeeder.CsmEmail, roles: Roles.CustomerSuccess);
        var cut = RenderSection(canManage: false);
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=oauth-grant-row]")));
        Assert.Empty(cut.FindAll("button[aria-label^='Revoke the OAuth grant']"));
    }
}
