using Bunit;

using IdeaScale.Portal.Tests.Infrastructure;
using IdeaScale.Portal.Tests.Scim.Credentials.OAuth;

using Microsoft.EntityFrameworkCore;

using OAuthSection = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.OAuthClientSection;
using ScimPage = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.Scim;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The SCIM page's OAuth client-credentials method: what to paste where, secrets shown once, rotation, revoke.</summary>
public sealed class OAuthClientSectionTests : PortalComponentContext
{
    private IRenderedComponent<OAuthSection> RenderSection(string slug = "ides") => Render<OAuthSection>(p => p
        .Add(s => s.Slug, slug)
        .Add(s => s.BaseUrl, $"http://{slug}.localhost:5080/scim/v2")
        .Add(s => s.CanManage, true));

    [Fact]
    public void The_SCIM_page_offers_the_three_authentication_methods()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = Render<ScimPage>(p => p.Add(s => s.Slug, "ides"));
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=authentication-methods]")));
        var methods = cut.Find("[data-testid=authentication-methods]").TextContent;
        Assert.Contains("Secret token", methods, StringComparison.Ordinal);
        Assert.Contains("OAuth client credentials (Microsoft Entra ID)", methods, StringComparison.Ordinal);
        Assert.Contains("OAuth for Okta", methods, StringComparison.Ordinal);
    }

    [Fact]
    public void Shows_token_endpoint_and_client_id_with_copy_icons_and_the_secrets_expiry_but_never_a_secret()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => Assert.Equal(PortalFactory.IdesOAuthClientId, cut.Find("[data-testid=oauth-client-id]").TextContent.Trim()));
        Assert.Equal("http://ides.localhost:5080/oauth/token", cut.Find("[data-testid=oauth-token-endpoint]").TextContent.Trim());
        Assert.NotNull(cut.Find("button[aria-label='Copy OAuth token endpoint']"));
        Assert.NotNull(cut.Find("button[aria-label='Copy OAuth client ID']"));
        Assert.Single(cut.FindAll("[data-testid=oauth-secret-row]"));
        Assert.Contains(DateTime.UtcNow.AddDays(730).Year.ToString(System.Globalization.CultureInfo.InvariantCulture), cut.Find("[data-testid=oauth-secret-expires]").TextContent, StringComparison.Ordinal);
        Assert.Contains("never", cut.Find("[data-testid=oauth-last-used]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain(PortalFactory.IdesOAuthSecret, cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_a_secret_shows_it_once_and_it_works_then_removing_the_old_one_keeps_only_the_new()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-client-id]"));

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Add a secret", StringComparison.Ordinal)).Click());
        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=oauth-secret-row]").Count));
        var secret = cut.Find("[data-testid=new-oauth-secret]").TextContent.Trim();
        Assert.StartsWith("iscs_", secret, StringComparison.Ordinal);
        Assert.True(cut.FindAll("button").First(b => b.TextContent.Contains("Add a secret", StringComparison.Ordinal)).HasAttribute("disabled"));

        using var http = App.CreateClient();
        await OAuthTestKit.AccessTokenAsync(await OAuthTestKit.RequestTokenBasicAsync(http, PortalFactory.IdesOAuthClientId, secret));

        InTurn(() => cut.Find($"button[aria-label='Remove client secret ending {PortalFactory.IdesOAuthSecret[^4..]}']").Click());
        Providers.WaitForAssertion(() => Assert.Contains("Remove this client secret?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").First(b => b.TextContent.Trim() == "Remove").Click());
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid=oauth-secret-row]")));

        Assert.Equal("invalid_client", await OAuthTestKit.ErrorAsync(await OAuthTestKit.RequestTokenBasicAsync(http, PortalFactory.IdesOAuthClientId, PortalFactory.IdesOAuthSecret)));
        await using var db = Db();
        Assert.Equal(secret[^4..], (await db.ScimOAuthSecrets.SingleAsync()).Hint);
    }

    [Fact]
    public async Task Revoke_deletes_the_client_and_create_makes_a_new_one()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-client-id]"));

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Revoke client", StringComparison.Ordinal)).Click());
        Providers.WaitForAssertion(() => Assert.Contains("Revoke the OAuth client?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").First(b => b.TextContent.Trim() == "Revoke").Click());
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-no-client]"));

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Create OAuth client", StringComparison.Ordinal)).Click());
        cut.WaitForAssertion(() => cut.Find("[data-testid=new-oauth-secret]"));
        var clientId = cut.Find("[data-testid=oauth-client-id]").TextContent.Trim();
        Assert.StartsWith("ides-", clientId, StringComparison.Ordinal);
        using var http = App.CreateClient();
        await OAuthTestKit.AccessTokenAsync(await OAuthTestKit.RequestTokenPostAsync(http, clientId, cut.Find("[data-testid=new-oauth-secret]").TextContent.Trim()));
    }

    [Fact]
    public async Task Workload_identity_federation_is_saved_shown_and_removed_with_an_audit_row_each()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));
        var cut = RenderSection();
        cut.WaitForAssertion(() => cut.Find("[data-testid=oauth-federation-issuer]"));

        await TypeAsync(cut, "oauth-federation-issuer", "https://login.microsoftonline.com/tenant-1/v2.0");
        await TypeAsync(cut, "oauth-federation-jwks", "http://insecure.example/keys");
        await TypeAsync(cut, "oauth-federation-subject", "9b1c2d3e-provisioning");
        await TypeAsync(cut, "oauth-federation-audience", "api://AzureADTokenExchange");
        await SaveFederationAsync(cut);
        // Plain http is refused with a message; nothing is saved.
        Providers.WaitForAssertion(() => Assert.Contains("The JWKS URL must be an absolute https URL", Providers.Markup, StringComparison.Ordinal));
        await using (var db = Db())
        {
            Assert.Null((await db.ScimOAuthClients.SingleAsync()).FederationId);
        }

        await TypeAsync(cut, "oauth-federation-jwks", "https://login.microsoftonline.com/tenant-1/discovery/v2.0/keys");
        await SaveFederationAsync(cut);
        cut.WaitForAssertion(() => Assert.Contains("9b1c2d3e-provisioning", cut.Find("[data-testid=oauth-federation-settings]").TextContent, StringComparison.Ordinal));
        await using (var db = Db())
        {
            var client = await db.ScimOAuthClients.SingleAsync();
            Assert.NotNull(client.FederationId);
            Assert.Equal("https://login.microsoftonline.com/tenant-1/discovery/v2.0/keys", client.FederationJwksUrl);
        }

        InTurn(() => cut.FindAll("button").First(b => b.TextContent.Contains("Remove federation", StringComparison.Ordinal)).Click());
        Providers.WaitForAssertion(() => Assert.Contains("Remove workload identity federation?", Providers.Markup, StringComparison.Ordinal));
        InTurn(() => Providers.FindAll("button").First(b => b.TextContent.Trim() == "Remove").Click());
        cut.WaitForAssertion(() => Assert.Empty(cut.FindAll("[data-testid=oauth-federation-settings]")));
        await using (var db = Db())
        {
            Assert.Null((await db.ScimOAuthClients.SingleAsync()).FederationId);
            var audited = await db.ProvisioningEvents.Where(e => e.Operation == ProvisioningOperation.OAuthFederationSet || e.Operation == ProvisioningOperation.OAuthFederationRemoved)
                .OrderBy(e => e.Id).Select(e => new { e.Operation, e.Actor }).ToListAsync();
            Assert.Equal([ProvisioningOperation.OAuthFederationSet, ProvisioningOperation.OAuthFederationRemoved], audited.Select(e => e.Operation));
            Assert.All(audited, e => Assert.Equal(DemoSeeder.AdminEmail("ides"), e.Actor));
        }
    }

    private static AngleSharp.Dom.IElement Field(IRenderedComponent<OAuthSection> cut, string testId) =>
        cut.Find($"input[data-testid={testId}], [data-testid={testId}] input");

    // Find and event in one dispatcher turn: a render between them (the section re-renders after each save) would
    // retire the handler the element was found with.
    private static Task TypeAsync(IRenderedComponent<OAuthSection> cut, string testId, string value) =>
        cut.InvokeAsync(() => Field(cut, testId).Change(value));

    private static Task SaveFederationAsync(IRenderedComponent<OAuthSection> cut) =>
        cut.InvokeAsync(() => cut.FindAll("button").First(b => b.TextContent.Contains("Save federation", StringComparison.Ordinal)).Click());
}
