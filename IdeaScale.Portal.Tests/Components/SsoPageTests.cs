using Bunit;

using SsoPage = IdeaScale.Portal.Components.Pages.ManageWorkspace.Security.Authentication.SingleSignOn.Sso;

namespace IdeaScale.Portal.Tests.Components;

/// <summary>The Single Sign On page: IdP values with copy icons, validation messages, current settings.</summary>
public sealed class SsoPageTests : PortalComponentContext
{
    [Fact]
    public void Render_NotSetUp_ShowsSpValuesWithCopyIcons()
    {
        SignInAs(DemoSeeder.AdminEmail("nosso"));

        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "nosso"));

        cut.WaitForAssertion(() => Assert.Contains("Not set up", cut.Find("[data-testid=sso-status]").TextContent, StringComparison.Ordinal));
        Assert.NotNull(cut.Find("button[aria-label='Copy SP entity ID']"));
        Assert.NotNull(cut.Find("button[aria-label='Copy ACS URL']"));
        Assert.Contains(cut.FindAll("input"), i => i.GetAttribute("value") == "http://nosso.localhost:5080/sso/saml2/acs");
    }

    [Fact]
    public void Save_EmptySamlForm_ShowsAMessagePerField()
    {
        SignInAs(DemoSeeder.AdminEmail("nosso"));
        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "nosso"));
        cut.WaitForAssertion(() => cut.Find("[data-testid=sso-status]"));

        InTurn(() => cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save settings").Click());

        cut.WaitForAssertion(() => Assert.Contains("Enter the identity provider's entity id", cut.Markup, StringComparison.Ordinal));
        Assert.Contains("Enter the sign-on URL.", cut.Markup, StringComparison.Ordinal);
        Assert.Contains("Upload or paste the identity provider's X.509 signing certificate.", cut.Markup, StringComparison.Ordinal);
        using var db = Db();
        Assert.False(db.ProvisioningEvents.Any(e => e.Operation == ProvisioningOperation.SsoUpdated));
    }

    [Fact]
    public void Render_ActiveSaml_ShowsCertificateExpiryAndDeactivate()
    {
        SignInAs(DemoSeeder.AdminEmail("ides"));

        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "ides"));

        cut.WaitForAssertion(() => Assert.Contains("SAML 2.0 active", cut.Find("[data-testid=sso-status]").TextContent, StringComparison.Ordinal));
        Assert.Contains("CN=ides demo IdP", cut.Find("[data-testid=certificate-info]").TextContent, StringComparison.Ordinal);
        Assert.Contains("expires", cut.Find("[data-testid=certificate-info]").TextContent, StringComparison.Ordinal);
        Assert.Contains(cut.FindAll("button"), b => b.TextContent.Trim() == "Deactivate SSO");
    }

    [Fact]
    public void Save_OidcWithBlankSecret_KeepsTheStoredSecretAndSaysOneIsSet()
    {
        string? protectedBefore;
        using (var db = Db())
        {
            // The demo's OIDC setup (acme) is active, so it has a stored secret.
            protectedBefore = db.SsoConfigurations.Single(s => s.Workspace!.Slug == "acme").ProtectedClientSecret;
            Assert.NotNull(protectedBefore);
        }

        SignInAs(DemoSeeder.AdminEmail("acme"));
        var cut = Render<SsoPage>(p => p.Add(s => s.Slug, "acme"));
        cut.WaitForAssertion(() => Assert.Contains("A client secret is set", cut.Find("[data-testid=client-secret-state]").TextContent, StringComparison.Ordinal));
        var secretInput = cut.Find("input[type=password]");
        Assert.True(string.IsNullOrEmpty(secretInput.GetAttribute("value")));
        Assert.Contains("Leave blank to keep", cut.Markup, StringComparison.Ordinal);

        // Change only the client id and save with the secret left blank.
        InTurn(() => cut.FindAll("input").Single(i => i.GetAttribute("value") == "acme-portal").Change("acme-portal-2"));
        InTurn(() => cut.FindAll("button").Single(b => b.TextContent.Trim() == "Save settings").Click());

        cut.WaitForAssertion(() =>
        {
            using var db = Db();
            var stored = db.SsoConfigurations.Single(s => s.Workspace!.Slug == "acme");
            Assert.Equal("acme-portal-2", stored.ClientId);
            Assert.Equal(protectedBefore, stored.ProtectedClientSecret);
        });
        Assert.DoesNotContain("Enter the client secret", cut.Markup, StringComparison.Ordinal);
        using var audit = Db();
        Assert.Contains(audit.ProvisioningEvents.Where(e => e.Operation == ProvisioningOperation.SsoUpdated).Select(e => e.Summary).ToList(),
            s => s!.Contains("client secret unchanged", StringComparison.Ordinal));
    }
}
